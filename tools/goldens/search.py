#!/usr/bin/env python3
"""Hyperparameter-search goldens for KoanSearch, computed with Optuna 5.0.0 (and NumPy).

Run from the repository root, in the project's environment (optuna==5.0.0 is in
requirements-test.txt, so nothing beyond it is needed):

    .venv/bin/python tools/goldens/search.py

Writes Tests/KoanSearchTests/Fixtures/search_goldens.json. Only deterministic quantities
are recorded (Koan's random streams are its own); the few random draws below (observation
sets, Optuna's own candidate points) are seeded, so the output only changes when the script
does. Floats are JSON numbers in Python's repr (exact); NaN and infinities are the strings
"nan", "inf", "-inf".

Sections (read by Tests/KoanSearchTests/{Distribution,Sampler,Pruner}Tests.swift):

  truncnorm   optuna.samplers._tpe._truncnorm, each value computed alone (a batch of one,
              so _ndtri_exp's "all converged" test is the element's own):
                log_ndtr [x, y]; ndtr [x, y] (the vectorised 0.5 + 0.5 erf(x/sqrt 2));
                log_gauss_mass [a, b, y]; logpdf [x, a, b, loc, scale, y];
                ndtri_exp [y, x]; ppf [q, a, b, x] (far tails included).
  parzen      _ParzenEstimator(observations, search_space, TPESampler()._parzen_estimator_parameters)
              (prior_weight 1, consider_magic_clip True, consider_endpoints False,
              weights=default_weights: exactly what TPESampler passes for both groups in a
              single-objective study); one case uses prior_weight 2 via the same named tuple.
                space [[name, distribution_to_json]], observations {name: internal values},
                weights (the mixture's, normalised), kernels per parameter in space order:
                  {"kind": "categorical", "weights": [[...] per component]} or
                  {"kind": "numeric", "mu": [...], "sigma": [...], "low", "high", "step", "log"}
                  (low/high/step as the batched distribution holds them: the untransformed
                  bounds; the prior is the last component),
                points (internal values, rows in space order), log_pdf.
              Equal observations: the kernel widths are assigned in np.argsort order, which
              NumPy leaves open for equal values (its AVX-512 sort does not keep index order),
              so with several parameters Optuna's mixture depends on the machine. This script
              makes np.argsort stable (index order among equals, which is what Koan uses);
              without ties the results are the same either way.
  tpe         Studies built with optuna.trial.create_trial (complete, pruned with intermediate
              values, running), a new trial asked, then what TPESampler._sample computes for it
              (constant_liar=True, Optuna 5's default: other running trials go above):
                n (finished trials), gamma = default_gamma(n), below / above (trial numbers,
                _split_trials), candidates (internal values: Optuna's own draws from l, seeded,
                plus the observed rows), log_l, log_g, acquisition (log l - log g) and argmax
                (TPESampler._compare). trials: [{number, state, value, intermediate [[step, v]],
                params {name: [distribution_json, external value]}}].
  median      MedianPruner / PercentilePruner runs: trials scripted as reports [[step, value]]
              (NaN allowed); after each report trial.should_prune() is recorded; a trial stops
              at the first True (told PRUNED), else it is told COMPLETE with "value" (default:
              its last report), or left RUNNING when "end" is "running".
  successive_halving  the same for SuccessiveHalvingPruner, plus every trial's system
              attributes at the end ({"completed_rung_N": value}).
  distributions  distribution_to_json of each kind ("json", and "compact" with
              separators (",", ":")), how Koan builds it ("make"), the high Optuna keeps;
              legacy JSON (Optuna 2 names) with the modern distribution it reads as.
  grid        stepped float / int grids: BruteForceSampler's _enumerate_candidates (decimal) and
              the values Optuna's samplers give for grid point i (np.clip(np.round(i) * step +
              low, low, high), binary), which Koan's grid uses.
"""
import json
import math
import os
import sys
import warnings

import numpy as np
import optuna
from optuna.distributions import (CategoricalDistribution, FloatDistribution, IntDistribution,
                                  distribution_to_json, json_to_distribution)
from optuna.pruners import MedianPruner, PercentilePruner, SuccessiveHalvingPruner
from optuna.samplers import TPESampler
from optuna.samplers._brute_force import _enumerate_candidates
from optuna.samplers._tpe import _truncnorm
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.probability_distributions import _BatchedCategoricalDistributions
from optuna.samplers._tpe.sampler import _split_trials, default_gamma
from optuna.trial import TrialState, create_trial

assert optuna.__version__ == "5.0.0", optuna.__version__
optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")

# Equal values in index order (see "parzen" above): the sort Koan's estimator uses.
_numpy_argsort = np.argsort


def _stable_argsort(a, axis=-1, kind=None, order=None, **kwargs):
    return _numpy_argsort(a, axis=axis, kind="stable", order=order, **kwargs)


np.argsort = _stable_argsort

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "Tests", "KoanSearchTests", "Fixtures", "search_goldens.json")


def num(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def nums(xs):
    return [num(x) for x in np.asarray(xs, dtype=float).ravel()]


def value_json(v):
    """A parameter's external value as JSON (ints stay ints)."""
    if isinstance(v, (bool, str)) or v is None:
        return v
    if isinstance(v, (int, np.integer)):
        return int(v)
    return num(v)


# ----------------------------------------------------------------------------- truncnorm

def one(f, *xs):
    return float(f(*[np.array([float(x)]) for x in xs])[0])


def truncnorm_section():
    inf = math.inf
    xs = [-inf, -1e5, -1e3, -100.0, -40.0, -38.5, -25.0, -20.000001, -20.0, -19.99, -10.0, -5.0, -1.5,
          -0.7071, -0.5, -1e-10, 0.0, 1e-10, 0.3, 0.7072, 1.0, 3.0, 5.99, 6.0, 6.0000001, 7.0, 10.0,
          20.0, 38.0, 40.0, inf]
    log_ndtr = [[num(x), num(one(_truncnorm._log_ndtr, x))] for x in xs]
    ndtr = [[num(x), num(one(_truncnorm._ndtr, x))] for x in xs if math.isfinite(x)]

    pairs = [(-50.0, -40.0), (-40.0, -39.9999), (-30.0, -20.0), (-25.0, -19.0), (-21.0, -20.5),
             (-5.0, -4.0), (-1.0, -0.5), (-3.0, 0.0), (-1.0 - 1e-9, -1.0), (-inf, -5.0),
             (-1.0, 1.0), (-10.0, 10.0), (-40.0, 40.0), (-0.1, 1e-3), (-1e-12, 1e-12), (0.0, 1.0),
             (0.0, 50.0), (-inf, inf), (-2.0, inf), (1e-300, 1.0), (0.5, 3.0), (5.0, 6.0),
             (5.5, 7.5), (19.0, 21.0), (30.0, 40.0), (40.0, 50.0), (39.99, 40.0), (1.0, 1.0 + 1e-9),
             (2.0, inf), (1.0, 1.0)]
    log_gauss_mass = [[num(a), num(b), num(one(_truncnorm._log_gauss_mass, a, b))] for a, b in pairs]

    logpdf = []
    for mu, sigma, low, high in [(0.0, 1.0, -2.0, 2.0), (0.3, 0.05, 0.0, 1.0), (-4.0, 0.5, 0.0, 10.0),
                                 (12.0, 0.25, 0.0, 10.0), (5.0, 10.0, 0.0, 10.0), (0.0, 1e-3, -1.0, 1.0),
                                 (math.log(1e-3), 0.8, math.log(1e-5), math.log(1e-1))]:
        a, b = (low - mu) / sigma, (high - mu) / sigma
        for x in [low, low + 0.25 * (high - low), mu, 0.5 * (low + high), high, high + 1e-9, low - 1.0]:
            y = float(_truncnorm.logpdf(np.array([x]), a=np.array([a]), b=np.array([b]),
                                        loc=np.array([mu]), scale=np.array([sigma]))[0])
            logpdf.append([num(x), num(a), num(b), num(mu), num(sigma), num(y)])

    ys = [-1e4, -1000.0, -100.0, -30.0, -10.0, -5.0001, -5.0, -4.999, -2.0, -0.6931, -0.5, -0.0101,
          -0.01, -0.00999, -1e-5, -1e-12, -1e-20]
    ndtri_exp = [[num(y), num(one(_truncnorm._ndtri_exp, y))] for y in ys]

    qs = [0.0, 1e-12, 1e-6, 0.01, 0.25, 0.5, 0.75, 0.99, 1 - 1e-6, 1 - 2.0 ** -53, 1.0]
    bounds = [(-1.0, 1.0), (-3.0, 0.5), (-0.2, 4.0), (-5.0, 5.0), (-40.0, -38.0), (-50.0, -49.99),
              (-25.0, -5.0), (0.0, 2.0), (0.5, 1.0), (3.0, 50.0), (38.0, 40.0), (40.0, 41.0),
              (-1e-8, 1e-8), (-2.0, -1.0), (1.0, 1.0)]
    ppf = []
    for a, b in bounds:
        for q in qs:
            x = one(_truncnorm.ppf, q, a, b)
            ppf.append([num(q), num(a), num(b), num(x)])
    return {"log_ndtr": log_ndtr, "ndtr": ndtr, "log_gauss_mass": log_gauss_mass, "logpdf": logpdf,
            "ndtri_exp": ndtri_exp, "ppf": ppf}


# ----------------------------------------------------------------------------- parzen

PARAMS = TPESampler()._parzen_estimator_parameters
assert PARAMS.prior_weight == 1.0 and PARAMS.consider_magic_clip and not PARAMS.consider_endpoints
assert PARAMS.weights(30).shape == (30,)


def kernels_json(pe, space):
    out = []
    for d, (name, dist) in zip(pe._mixture_distribution.distributions, space.items()):
        if isinstance(d, _BatchedCategoricalDistributions):
            out.append({"kind": "categorical", "weights": [nums(r) for r in d.weights]})
        else:
            out.append({"kind": "numeric", "mu": nums(d.mu), "sigma": nums(d.sigma), "low": num(d.low),
                        "high": num(d.high), "step": num(d.step), "log": bool(d.is_log)})
    return out


def parzen_case(name, space, obs, points, prior_weight=None):
    params = PARAMS if prior_weight is None else PARAMS._replace(prior_weight=prior_weight)
    obs = {k: np.asarray(v, dtype=float) for k, v in obs.items()}
    pe = _ParzenEstimator(obs, space, params)
    pts = np.asarray(points, dtype=float)
    logpdf = pe.log_pdf({k: pts[:, i] for i, k in enumerate(space)})
    return {"name": name, "prior_weight": params.prior_weight,
            "space": [[k, distribution_to_json(d)] for k, d in space.items()],
            "observations": {k: nums(v) for k, v in obs.items()},
            "weights": nums(pe._mixture_distribution.weights),
            "kernels": kernels_json(pe, space),
            "points": [nums(r) for r in pts], "log_pdf": nums(logpdf)}


def parzen_section():
    rng = np.random.default_rng(20240601)
    cases = []
    u = FloatDistribution(-5.0, 5.0)
    grid = [[x] for x in np.linspace(-5, 5, 11)] + [[5.5]]
    cases.append(parzen_case("float prior only", {"x": u}, {"x": []}, grid))
    cases.append(parzen_case("float one", {"x": u}, {"x": [1.25]}, grid))
    cases.append(parzen_case("float two", {"x": u}, {"x": [-4.9, 3.0]}, grid))
    xs7 = rng.uniform(-5, 5, 7)
    cases.append(parzen_case("float seven", {"x": u}, {"x": xs7}, grid + [[v] for v in xs7]))
    cases.append(parzen_case("float endpoints", {"x": u}, {"x": [-5.0, 5.0, 0.0, 4.999]}, grid))
    cases.append(parzen_case("float prior weight 2", {"x": u}, {"x": xs7[:4]}, grid, prior_weight=2.0))
    for n in (24, 25, 26, 30, 120):
        xs = rng.normal(0.5, 1.5, n).clip(-5, 5)
        pts = grid + [[v] for v in xs[:5]] + [[v] for v in xs[-5:]]
        cases.append(parzen_case(f"float n={n}", {"x": u}, {"x": xs}, pts))
    lf = FloatDistribution(1e-4, 1e-1, log=True)
    xs = np.exp(rng.uniform(math.log(1e-4), math.log(1e-1), 6))
    cases.append(parzen_case("log float", {"lr": lf}, {"lr": xs},
                             [[v] for v in np.geomspace(1e-4, 1e-1, 9)] + [[v] for v in xs] + [[0.2]]))
    sf = FloatDistribution(0.0, 1.0, step=0.1)
    cases.append(parzen_case("stepped float", {"d": sf}, {"d": [0.1, 0.5, 0.5, 0.9, 0.0]},
                             [[round(0.1 * i, 10)] for i in range(11)]))
    sf2 = FloatDistribution(0.1, 0.7, step=0.2)
    cases.append(parzen_case("stepped float decimal high", {"d": sf2}, {"d": [0.1, 0.3, 0.7]},
                             [[0.1], [0.3], [0.5], [0.7]]))
    it = IntDistribution(1, 10)
    cases.append(parzen_case("int", {"n": it}, {"n": [3, 3, 3, 7, 10, 1, 5, 5]}, [[i] for i in range(1, 11)]))
    it2 = IntDistribution(0, 20, step=4)
    cases.append(parzen_case("int step 4", {"n": it2}, {"n": [0, 8, 8, 20]}, [[i] for i in range(0, 21, 4)]))
    li = IntDistribution(1, 1024, log=True)
    cases.append(parzen_case("log int", {"h": li}, {"h": [1, 16, 17, 100, 512, 1024]},
                             [[v] for v in [1, 2, 3, 15, 16, 17, 64, 100, 511, 512, 1000, 1024]]))
    c3 = CategoricalDistribution(["relu", "gelu", "tanh"])
    cases.append(parzen_case("categorical", {"act": c3}, {"act": [0, 1, 1, 2, 1, 1]}, [[0], [1], [2]]))
    cases.append(parzen_case("categorical prior only", {"act": c3}, {"act": []}, [[0], [1], [2]]))
    c5 = CategoricalDistribution([16, 32, 64, 128, 256])
    cases.append(parzen_case("categorical weight 2", {"b": c5}, {"b": [4, 4, 0]}, [[i] for i in range(5)],
                             prior_weight=2.0))
    space = {"act": c3, "d": sf, "lr": lf, "n": IntDistribution(1, 8), "x": u}
    n = 12
    obs = {"act": rng.integers(0, 3, n), "d": np.round(rng.integers(0, 11, n) * 0.1, 10),
           "lr": np.exp(rng.uniform(math.log(1e-4), math.log(1e-1), n)), "n": rng.integers(1, 9, n),
           "x": rng.uniform(-5, 5, n)}
    # Distinct values for the discrete ones keep the widths well defined (weights are equal anyway).
    pts = np.column_stack([obs[k] for k in space])
    more = np.column_stack([rng.integers(0, 3, 8), np.round(rng.integers(0, 11, 8) * 0.1, 10),
                            np.exp(rng.uniform(math.log(1e-4), math.log(1e-1), 8)), rng.integers(1, 9, 8),
                            rng.uniform(-5, 5, 8)])
    cases.append(parzen_case("mixed multivariate", space, obs, np.vstack([pts, more]).tolist()))
    n = 40
    obs = {"act": rng.integers(0, 3, n), "lr": np.exp(rng.uniform(math.log(1e-4), math.log(1e-1), n)),
           "x": rng.uniform(-5, 5, n)}
    sp = {"act": c3, "lr": lf, "x": u}
    pts = np.column_stack([obs[k] for k in sp])[:10]
    cases.append(parzen_case("mixed n=40 ramp", sp, obs, pts.tolist()))
    return cases


# ----------------------------------------------------------------------------- tpe

def make_trial(state, value=None, params=None, inter=None):
    params = params or {}
    return create_trial(state=state, value=value,
                        params={k: v for k, (d, v) in params.items()},
                        distributions={k: d for k, (d, v) in params.items()},
                        intermediate_values=inter or {})


def tpe_case(name, direction, space, trials, n_random=24, seed=0):
    study = optuna.create_study(direction=direction, sampler=TPESampler(seed=seed))
    for t in trials:
        study.add_trial(t)
    current = study.ask()
    sampler = study.sampler
    all_trials = study._get_trials(deepcopy=False, states=[TrialState.COMPLETE, TrialState.PRUNED,
                                                           TrialState.RUNNING], use_cache=False)
    all_trials = [t for t in all_trials if t.number != current.number]
    n = sum(t.state != TrialState.RUNNING for t in all_trials)
    gamma = default_gamma(n)
    below, above = _split_trials(study, all_trials, gamma)
    mpe_below = sampler._build_parzen_estimator(study, space, below, handle_below=True)
    mpe_above = sampler._build_parzen_estimator(study, space, above, handle_below=False)
    drawn = mpe_below.sample(np.random.RandomState(seed), n_random)
    obs_rows = sampler._get_internal_repr(all_trials, space, study)
    cands = {k: np.concatenate([drawn[k], obs_rows[k]]) for k in space}
    log_l = mpe_below.log_pdf(cands)
    log_g = mpe_above.log_pdf(cands)
    acq = sampler._compute_acquisition_func(cands, mpe_below, mpe_above)
    best = TPESampler._compare(cands, acq)
    argmax = int(np.argmax(acq))
    assert all(best[k] == cands[k][argmax] for k in space)
    frozen = study.get_trials(deepcopy=False)
    return {"name": name, "direction": direction,
            "space": [[k, distribution_to_json(d)] for k, d in space.items()],
            "trials": [{"number": t.number, "state": t.state.name,
                        "value": None if t.value is None else num(t.value),
                        "intermediate": [[int(s), num(v)] for s, v in sorted(t.intermediate_values.items())],
                        "params": {k: [distribution_to_json(t.distributions[k]), value_json(v)]
                                   for k, v in t.params.items()}}
                       for t in frozen if t.number != current.number],
            "current": current.number, "n": n, "gamma": gamma,
            "below": [t.number for t in below], "above": [t.number for t in above],
            "candidates": [nums([cands[k][i] for k in space]) for i in range(len(acq))],
            "log_l": nums(log_l), "log_g": nums(log_g), "acquisition": nums(acq), "argmax": argmax}


def tpe_section():
    rng = np.random.default_rng(7)
    C, P, R = TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING
    cases = []

    x = FloatDistribution(-5.0, 5.0)
    trials = []
    for _ in range(30):
        v = rng.uniform(-5, 5)
        trials.append(make_trial(C, (v - 1.0) ** 2, {"x": (x, v)}))
    for steps in ([0, 1, 2], [0, 1], [0]):
        v = rng.uniform(-5, 5)
        trials.append(make_trial(P, None, {"x": (x, v)}, {s: rng.uniform(0, 10) for s in steps}))
    for _ in range(2):
        trials.append(make_trial(R, None, {"x": (x, rng.uniform(-5, 5))}))
    cases.append(tpe_case("minimize float, pruned and running", "minimize", {"x": x}, trials))

    space = {"act": CategoricalDistribution(["relu", "gelu", "tanh"]),
             "layers": IntDistribution(1, 6), "lr": FloatDistribution(1e-4, 1e-1, log=True),
             "x": FloatDistribution(0.0, 1.0)}

    def rand_params(keys=None):
        keys = keys or list(space)
        vals = {"act": ["relu", "gelu", "tanh"][int(rng.integers(0, 3))], "layers": int(rng.integers(1, 7)),
                "lr": float(np.exp(rng.uniform(math.log(1e-4), math.log(1e-1)))), "x": float(rng.uniform(0, 1))}
        return {k: (space[k], vals[k]) for k in keys}

    trials = []
    for i in range(15):
        # Equal values across the γ boundary: Python's stable sort keeps trial order.
        v = [0.5, 0.95, 0.5, 0.95, 0.25, 0.95, 0.99, 0.1][i] if i < 8 else rng.uniform(0, 0.9)
        trials.append(make_trial(C, float(v), rand_params()))
    trials.append(make_trial(P, None, rand_params(), {0: 0.1, 3: 0.7}))
    trials.append(make_trial(P, None, rand_params(), {0: 0.2, 3: float("nan")}))
    trials.append(make_trial(P, None, rand_params(), {}))
    trials.append(make_trial(P, None, rand_params(), {0: 0.95, 1: 0.6, 2: 0.8, 3: 0.75, 5: 0.3}))
    trials.append(make_trial(R, None, rand_params(["act", "x"])))
    trials.append(make_trial(R, None, rand_params()))
    cases.append(tpe_case("maximize mixed, ties", "maximize", space, trials))

    trials = [make_trial(C, 3.0, {"x": (x, 0.5)}), make_trial(C, 1.0, {"x": (x, -2.0)})]
    for i in range(28):
        steps = {s: 10.0 - s + 0.1 * i for s in range(int(rng.integers(1, 5)))}
        trials.append(make_trial(P, None, {"x": (x, float(rng.uniform(-5, 5)))}, steps))
    cases.append(tpe_case("few complete, pruned fill below", "minimize", {"x": x}, trials))

    trials = []
    for i in range(260):
        v = float(rng.uniform(-5, 5))
        trials.append(make_trial(C, abs(v + 2.0) + 0.01 * i, {"x": (x, v)}))
    cases.append(tpe_case("260 trials, gamma 25, ramp weights", "minimize", {"x": x}, trials))

    wide = FloatDistribution(0.0, 2.0)
    narrow = FloatDistribution(0.0, 1.0)
    trials = []
    for i in range(12):
        v = float(rng.uniform(0, 2 if i % 3 == 0 else 1))
        trials.append(make_trial(C, (v - 0.3) ** 2, {"x": (wide if i % 3 == 0 else narrow, v)}))
    cases.append(tpe_case("dynamic range (independent space)", "minimize", {"x": narrow}, trials))
    return cases


# ----------------------------------------------------------------------------- pruners

def run_pruner(pruner, direction, script):
    study = optuna.create_study(direction=direction, pruner=pruner,
                                sampler=optuna.samplers.RandomSampler(seed=0))
    decisions = []
    for item in script:
        trial = study.ask()
        mine = []
        pruned = False
        for step, v in item["reports"]:
            trial.report(float(v), step)
            d = bool(trial.should_prune())
            mine.append(d)
            if d:
                pruned = True
                break
        decisions.append(mine)
        if pruned:
            study.tell(trial, state=TrialState.PRUNED)
        elif item.get("end") == "running":
            pass
        else:
            value = item.get("value", item["reports"][-1][1] if item["reports"] else 0.0)
            study.tell(trial, float(value))
    states = [t.state.name for t in study.get_trials(deepcopy=False)]
    attrs = [{k: num(v) for k, v in sorted(t.system_attrs.items()) if k.startswith("completed_rung_")}
             for t in study.get_trials(deepcopy=False)]
    return decisions, states, attrs


def script_json(script):
    return [{"reports": [[int(s), num(v)] for s, v in item["reports"]],
             **({"value": num(item["value"])} if "value" in item else {}),
             **({"end": item["end"]} if "end" in item else {})} for item in script]


def curve(rng, n, start, rate, noise=0.02, every=1, offset=0):
    return [[s, float(start * math.exp(-rate * s) + noise * rng.standard_normal())]
            for s in range(offset, n, every)]


def median_section():
    rng = np.random.default_rng(11)
    nan = float("nan")
    cases = []

    def add(name, kwargs, direction, script, percentile=None):
        pruner = (MedianPruner(**kwargs) if percentile is None else PercentilePruner(percentile, **kwargs))
        decisions, states, _ = run_pruner(pruner, direction, script)
        cases.append({"name": name, "percentile": 50.0 if percentile is None else percentile,
                      "n_startup_trials": kwargs.get("n_startup_trials", 5),
                      "n_warmup_steps": kwargs.get("n_warmup_steps", 0),
                      "interval_steps": kwargs.get("interval_steps", 1),
                      "n_min_trials": kwargs.get("n_min_trials", 1), "direction": direction,
                      "script": script_json(script), "decisions": decisions, "states": states})

    script = [{"reports": curve(rng, 10, 1.0 + 0.3 * i, 0.2)} for i in range(12)]
    add("defaults", {}, "minimize", script)
    add("startup 2, warmup 3, interval 2", {"n_startup_trials": 2, "n_warmup_steps": 3, "interval_steps": 2},
        "minimize", script)
    script = [{"reports": curve(rng, 10, 1.0 + 0.3 * (i % 5), 0.2)} for i in range(6)] + \
             [{"reports": curve(rng, 10, 1.0 + 0.3 * (i % 5), 0.2, every=3, offset=i % 3)} for i in range(6)]
    add("gaps in steps, interval 3, warmup 1", {"n_startup_trials": 3, "n_warmup_steps": 1, "interval_steps": 3},
        "minimize", script)
    script = [{"reports": [[s, 0.5 + 0.04 * s * (1 + 0.1 * i)] for s in range(8)]} for i in range(4)] + \
             [{"reports": [[s, 0.5 + 0.03 * s] for s in range(8)]},
              {"reports": [[s, 0.4 + 0.01 * s] for s in range(8)]},
              {"reports": [[0, 0.9], [1, 0.4], [2, 0.4]]}]
    add("maximize", {"n_startup_trials": 2}, "maximize", script)
    script = [{"reports": [[0, 1.0], [1, nan], [2, 0.8], [3, 0.6]]},
              {"reports": [[0, 1.1], [1, 0.9], [2, nan], [3, 0.7]]},
              {"reports": [[0, nan], [1, 1.0], [2, 0.9], [3, 0.8]]},
              {"reports": [[0, nan], [1, nan], [2, nan]], "value": 5.0},
              {"reports": [[0, 1.2], [1, 0.5], [2, 0.9], [3, 0.85]]},
              {"reports": [[0, nan], [1, nan]]},
              {"reports": [[0, 0.5], [1, nan], [2, 2.0], [3, 2.0]]}]
    add("NaN intermediate values", {"n_startup_trials": 2}, "minimize", script)
    script = [{"reports": [[0, 1.0], [1, 0.9]]}, {"reports": [[0, 1.0], [1, 0.95], [2, 0.9], [3, 0.8]]},
              {"reports": [[0, 2.0], [1, 2.0], [2, 2.0], [3, 2.0]]},
              {"reports": [[0, 3.0], [1, 3.0], [2, 3.0], [3, 3.0], [4, 3.0]]},
              {"reports": [[0, 0.5], [2, 1.5], [3, 1.4], [4, 9.0]]}]
    add("n_min_trials 2", {"n_startup_trials": 1, "n_min_trials": 2}, "minimize", script)
    script = [{"reports": curve(rng, 6, 1.0, 0.3)}, {"reports": curve(rng, 6, 1.5, 0.3), "end": "running"},
              {"reports": curve(rng, 6, 1.2, 0.3)}, {"reports": curve(rng, 6, 2.0, 0.3)},
              {"reports": curve(rng, 6, 0.9, 0.3)}]
    add("running trial ignored", {"n_startup_trials": 1}, "minimize", script)
    order = [3, 0, 5, 1, 8, 2, 9, 4, 7, 6]
    script = [{"reports": curve(rng, 8, 1.0 + 0.2 * k, 0.25)} for k in order]
    add("percentile 25", {"n_startup_trials": 3}, "minimize", script, percentile=25.0)
    script = [{"reports": [[s, (3.0 - 0.2 * i) * (1 - math.exp(-0.3 * (s + 1))) + 0.02 * rng.standard_normal()]
                           for s in range(8)]} for i in order]
    add("percentile 75 maximize", {"n_startup_trials": 3}, "maximize", script, percentile=75.0)
    # An even number of values whose median is not exact: NumPy interpolates from above.
    script = [{"reports": [[0, 0.1]]}, {"reports": [[0, 0.7]]}, {"reports": [[0, 0.1 + 0.6 * 0.5]]},
              {"reports": [[0, 0.4]]}, {"reports": [[0, 0.2]]}, {"reports": [[0, 0.30000000000000004]]},
              {"reports": [[0, 0.39999999999999997]]}]
    add("median at interpolation boundary", {"n_startup_trials": 2}, "minimize", script)
    return cases


def sh_section():
    rng = np.random.default_rng(13)
    nan = float("nan")
    cases = []

    def add(name, kwargs, direction, script):
        decisions, states, attrs = run_pruner(SuccessiveHalvingPruner(**kwargs), direction, script)
        cases.append({"name": name, "min_resource": kwargs.get("min_resource", "auto"),
                      "reduction_factor": kwargs.get("reduction_factor", 4),
                      "min_early_stopping_rate": kwargs.get("min_early_stopping_rate", 0),
                      "direction": direction, "script": script_json(script), "decisions": decisions,
                      "states": states, "system_attrs": attrs})

    script = [{"reports": curve(rng, 20, 1.0 + 0.5 * rng.uniform(), 0.1)} for _ in range(14)]
    add("min_resource 1, defaults", {"min_resource": 1}, "minimize", script)
    # 'auto': the first complete trial's 250 steps give 2; the estimate is kept after a
    # longer trial (450 steps) completes.
    script = [{"reports": [[s, 1.0 / (s + 1)] for s in range(0, 251, 5)]},
              {"reports": [[s, 1.1 / (s + 1)] for s in range(0, 451, 3)]}] + \
             [{"reports": [[s, (1.0 + 0.3 * rng.uniform()) / (s + 1)] for s in range(0, 140)]} for _ in range(10)]
    add("auto, kept after the first estimate", {}, "minimize", script)
    script = [{"reports": curve(rng, 30, 1.0 + 0.5 * rng.uniform(), 0.05)} for _ in range(10)]
    script.insert(3, {"reports": [[0, 1.0], [1, 0.9], [2, nan], [3, 0.5]]})
    script.insert(5, {"reports": [[0, 0.9], [1, 0.8]], "end": "running"})
    add("rate 1, factor 2, NaN, running", {"min_resource": 2, "reduction_factor": 2, "min_early_stopping_rate": 1},
        "minimize", script)
    script = [{"reports": [[s, 1.0 - (0.5 + 0.4 * rng.uniform()) * math.exp(-0.1 * s)] for s in range(0, 40, 2)]}
              for _ in range(12)]
    add("maximize, factor 3, even steps", {"min_resource": 3, "reduction_factor": 3}, "maximize", script)
    script = [{"reports": [[0, 1.0], [1, 1.0], [4, 1.0], [16, 1.0]]} for _ in range(6)]
    add("ties", {"min_resource": 1}, "minimize", script)
    return cases


# ----------------------------------------------------------------------------- distributions

def distributions_section():
    out = []
    items = [
        ({"kind": "uniform", "low": 0.0, "high": 1.0}, FloatDistribution(0.0, 1.0)),
        ({"kind": "uniform", "low": -5.0, "high": 5.0}, FloatDistribution(-5, 5)),
        ({"kind": "log_uniform", "low": 1e-4, "high": 0.1}, FloatDistribution(1e-4, 0.1, log=True)),
        ({"kind": "log_uniform", "low": 1e-05, "high": 1e16}, FloatDistribution(1e-05, 1e16, log=True)),
        ({"kind": "uniform", "low": 0.0, "high": 1.0, "step": 0.1}, FloatDistribution(0.0, 1.0, step=0.1)),
        ({"kind": "uniform", "low": 0.1, "high": 0.7, "step": 0.2}, FloatDistribution(0.1, 0.7, step=0.2)),
        ({"kind": "uniform", "low": 0.0, "high": 1.0, "step": 0.3}, FloatDistribution(0.0, 1.0, step=0.3)),
        ({"kind": "uniform", "low": 0.1, "high": 1.0, "step": 0.25}, FloatDistribution(0.1, 1.0, step=0.25)),
        ({"kind": "uniform", "low": -1.0, "high": 2.5, "step": 0.5}, FloatDistribution(-1.0, 2.5, step=0.5)),
        ({"kind": "uniform", "low": 1e-05, "high": 1e-04, "step": 3e-05}, FloatDistribution(1e-05, 1e-04, step=3e-05)),
        ({"kind": "uniform", "low": 1e-05, "high": 1e-04, "step": 4e-05}, FloatDistribution(1e-05, 1e-04, step=4e-05)),
        ({"kind": "uniform", "low": 0.0, "high": 1e16, "step": 3e15}, FloatDistribution(0.0, 1e16, step=3e15)),
        ({"kind": "uniform", "low": 2.0, "high": 2.0}, FloatDistribution(2.0, 2.0)),
        ({"kind": "int", "low": 1, "high": 10}, IntDistribution(1, 10)),
        ({"kind": "int", "low": 0, "high": 10, "step": 3}, IntDistribution(0, 10, step=3)),
        ({"kind": "int", "low": -4, "high": 4, "step": 2}, IntDistribution(-4, 4, step=2)),
        ({"kind": "int", "low": 1, "high": 1024, "log": True}, IntDistribution(1, 1024, log=True)),
        ({"kind": "choice", "choices": ["relu", "gelu"]}, CategoricalDistribution(["relu", "gelu"])),
        ({"kind": "choice", "choices": [64, 128, 256]}, CategoricalDistribution([64, 128, 256])),
        ({"kind": "choice", "choices": [0.5, 1.0, 2.5]}, CategoricalDistribution([0.5, 1.0, 2.5])),
        ({"kind": "choice", "choices": [True, False]}, CategoricalDistribution([True, False])),
        ({"kind": "choice", "choices": [None, "x", 3]}, CategoricalDistribution([None, "x", 3])),
        ({"kind": "choice", "choices": ["é ✓", "a\"b"]}, CategoricalDistribution(["é ✓", "a\"b"])),
    ]
    for make, d in items:
        out.append({"make": make, "json": distribution_to_json(d),
                    "compact": json.dumps({"name": d.__class__.__name__, "attributes": d._asdict()},
                                          separators=(",", ":"), ensure_ascii=False),
                    "high": (num(d.high) if not isinstance(d, CategoricalDistribution) else None)})
    legacy = [
        '{"name": "UniformDistribution", "attributes": {"low": -1.0, "high": 1.0}}',
        '{"name": "LogUniformDistribution", "attributes": {"low": 1e-05, "high": 0.01}}',
        '{"name": "DiscreteUniformDistribution", "attributes": {"low": 0.0, "high": 1.0, "q": 0.25}}',
        '{"name": "DiscreteUniformDistribution", "attributes": {"low": 0.0, "high": 1.0, "q": 0.3}}',
        '{"name": "IntUniformDistribution", "attributes": {"low": 1, "high": 9, "step": 2}}',
        '{"name": "IntUniformDistribution", "attributes": {"low": 0, "high": 7}}',
        '{"name": "IntLogUniformDistribution", "attributes": {"low": 2, "high": 64}}',
        '{"name": "FloatDistribution", "attributes": {"step": 0.2, "low": 0.1, "high": 0.8, "log": false}}',
        '{"name": "IntDistribution", "attributes": {"log": false, "step": 3, "low": 0, "high": 10}}',
    ]
    legacy_out = []
    for s in legacy:
        d = json_to_distribution(s)
        if isinstance(d, FloatDistribution):
            m = FloatDistribution(d.low, d.high, log=d.log, step=d.step)
        else:
            m = IntDistribution(d.low, d.high, log=d.log, step=d.step)
        legacy_out.append({"json": s, "modern": distribution_to_json(m)})
    return out, legacy_out


def grid_section():
    out = []
    for low, high, step in [(0.0, 1.0, 0.1), (0.1, 0.7, 0.2), (-1.0, 2.5, 0.5), (0.0, 1.0, 0.3),
                            (0.05, 0.95, 0.15), (1e-3, 2e-3, 1e-4)]:
        d = FloatDistribution(low, high, step=step)
        dec = _enumerate_candidates(d.low, d.high, d.step)
        binary = [float(np.clip(np.round(float(i)) * d.step + d.low, d.low, d.high)) for i in range(len(dec))]
        out.append({"float": True, "low": low, "high": high, "step": step, "decimal": nums(dec),
                    "values": nums(binary)})
    for low, high, step in [(1, 10, 1), (0, 10, 3), (-4, 4, 2)]:
        d = IntDistribution(low, high, step=step)
        dec = _enumerate_candidates(d.low, d.high, d.step)
        out.append({"float": False, "low": low, "high": high, "step": step, "decimal": list(dec),
                    "values": list(dec)})
    return out


def main():
    dists, legacy = distributions_section()
    root = {"optuna_version": optuna.__version__, "numpy_version": np.__version__,
            "truncnorm": truncnorm_section(), "parzen": parzen_section(), "tpe": tpe_section(),
            "median": median_section(), "successive_halving": sh_section(),
            "distributions": dists, "legacy_distributions": legacy, "grid": grid_section()}
    text = json.dumps(root, indent=1, allow_nan=False, ensure_ascii=False)
    with open(OUT, "w") as f:
        f.write(text + "\n")
    print(f"wrote {os.path.relpath(OUT)} ({len(text)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
