"""Parameter-importance goldens for KoanSearch: Optuna 5.0.0's default
get_param_importances (PedAnovaImportanceEvaluator with its defaults).

Writes Tests/KoanSearchTests/Fixtures/search_importance.json: a list of cases, each

  {"name": ..., "direction": "MINIMIZE" | "MAXIMIZE",
   "trials": [{"state": "COMPLETE" | "PRUNED" | "FAIL", "value": float | null,
               "params": [[name, internal value, distribution_to_json], ...]}, ...],
   "importance": [[name, value], ...]}   # normalised, in Optuna's order (most important first)

Studies are sampled with RandomSampler(seed) so the output only changes when the script
does. Needs only requirements-test.txt (optuna==5.0.0).
    .venv/bin/python tools/goldens/search_importance.py
"""
import json
import math
import os
import warnings

import optuna
from optuna.distributions import distribution_to_json

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "KoanSearchTests", "Fixtures", "search_importance.json")


def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -10, 10)
    return x * x + 0.01 * y * y


def mixed(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    units = trial.suggest_int("units", 16, 256, step=16)
    layers = trial.suggest_int("layers", 1, 64, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.05)
    act = trial.suggest_categorical("act", ["relu", "gelu", "tanh"])
    return (math.log10(lr) + 3) ** 2 + 0.3 * (act == "tanh") + 0.001 * units + 0.05 * math.log2(layers) + dropout


def conditional(trial):
    kind = trial.suggest_categorical("kind", ["linear", "tree", "const"])
    if kind == "linear":
        return trial.suggest_float("alpha", 1e-3, 1.0, log=True)
    if kind == "tree":
        return trial.suggest_int("depth", 1, 10) / 10.0
    return 0.7


def flat(trial):
    trial.suggest_float("a", 0, 1)
    trial.suggest_int("b", 0, 3)
    return 1.0


def maximize(trial):
    x = trial.suggest_float("x", 0, 1)
    c = trial.suggest_categorical("c", [1, 2, 4, 8])
    return -((x - 0.3) ** 2) + 0.01 * c


def pruned_and_failed(trial):
    x = trial.suggest_float("x", -5, 5)
    z = trial.suggest_int("z", -3, 3)
    if trial.number % 7 == 3:
        raise optuna.TrialPruned()
    if trial.number % 11 == 5:
        return float("nan")
    return abs(x) + 0.5 * abs(z)


CASES = [
    ("quadratic", quadratic, "minimize", 60, 0),
    ("mixed", mixed, "minimize", 80, 1),
    ("conditional", conditional, "minimize", 70, 2),
    ("flat", flat, "minimize", 20, 3),
    ("maximize", maximize, "maximize", 50, 4),
    ("pruned_and_failed", pruned_and_failed, "minimize", 40, 5),
    ("two_trials", quadratic, "minimize", 2, 6),
    ("one_trial", quadratic, "minimize", 1, 7),
]


def main():
    cases = []
    for name, fn, direction, n, seed in CASES:
        study = optuna.create_study(direction=direction, sampler=optuna.samplers.RandomSampler(seed=seed))
        study.optimize(fn, n_trials=n, catch=())
        trials = []
        for t in study.trials:
            value = t.value if t.state == optuna.trial.TrialState.COMPLETE else None
            params = [[k, t.distributions[k].to_internal_repr(v), distribution_to_json(t.distributions[k])] for k, v in t.params.items()]
            trials.append({"state": t.state.name, "value": value, "params": params})
        imp = optuna.importance.get_param_importances(study)
        cases.append({"name": name, "direction": direction.upper(), "trials": trials,
                      "importance": [[k, float(v)] for k, v in imp.items()]})
    with open(OUT, "w") as f:
        json.dump({"optuna": optuna.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
