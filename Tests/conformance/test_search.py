"""search from a Jupyter client: one live display for the whole search (the fits inside it
draw there, not in displays of their own), a study in SQLite that Optuna 5 reads, an
interrupt that keeps every finished trial, and a study that resumes in a new kernel.
"""
from __future__ import annotations

import time

import pytest

from conftest import TIMEOUT, execute, execute_ok, iopub_until_idle, shell_reply, start_kernel, stop_kernel

optuna = pytest.importorskip("optuna")  # declared in requirements-test.txt

SETUP = """
%seed 0
let digits = Dataset.digits()
let (train, test) = digits.split(0.8, seed: 0)
func objective(_ trial: Trial) -> Double {
    let m = MLP(input: 64, hidden: [trial["hidden"]], output: 10)
    return m.fit(train, epochs: 3, batchSize: 128, optimizer: .adamW(lr: trial["lr"]), validation: test, seed: 0, trial: trial).validationLoss
}
"""
SPACE = '["lr": .logUniform(1e-4, 1e-1), "hidden": .choice([8, 16, 32])]'


@pytest.fixture(scope="module")
def kernel():
    km, kc = start_kernel()
    execute_ok(kc, SETUP)
    yield km, kc
    stop_kernel(km, kc)


def test_search_shows_one_display_and_optuna_reads_the_study(kernel, tmp_path):
    km, kc = kernel
    db = tmp_path / "studies.db"
    run = execute_ok(kc, f'let study = search({SPACE}, trials: 6, pruner: .median(startupTrials: 2), seed: 0, '
                         f'storage: "sqlite:///{db}", name: "digits") {{ trial in objective(trial) }}', timeout=120)
    shown = run.of_type("display_data")
    assert len(shown) == 1, run.types
    display_id = shown[0]["content"]["transient"]["display_id"]
    assert {u["content"]["transient"]["display_id"] for u in run.of_type("update_display_data")} <= {display_id}
    assert not run.of_type("stream")
    final = (run.of_type("update_display_data") or shown)[-1]["content"]["data"]
    assert "study 'digits' · minimize · 6 trials" in final["text/plain"], final["text/plain"]
    assert "<table>" in final["text/html"] and "<svg" in final["text/html"]

    koan_best = float(execute_ok(kc, "study.bestValue!").result)
    koan_params = execute_ok(kc, 'study.bestParams!["hidden"]!').result
    study = optuna.load_study(study_name="digits", storage=f"sqlite:///{db}")
    assert len(study.trials) == 6
    assert {t.state.name for t in study.trials} <= {"COMPLETE", "PRUNED"}
    assert study.best_value == pytest.approx(koan_best, rel=1e-12)
    assert str(study.best_params["hidden"]) == koan_params
    assert set(study.best_params) == {"lr", "hidden"}
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert all(sorted(t.intermediate_values) == [1, 2, 3] for t in complete)


def test_interrupt_keeps_trials_and_a_new_kernel_resumes(tmp_path):
    db = tmp_path / "resume.db"
    km, kc = start_kernel()
    try:
        execute_ok(kc, SETUP)
        msg_id = kc.execute(f'let study = search({SPACE}, trials: 200, seed: 0, storage: "sqlite:///{db}", name: "long") '
                            '{ trial in objective(trial) }')
        # Let a few trials finish, then interrupt.
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if len(optuna.load_study(study_name="long", storage=f"sqlite:///{db}").trials) >= 4:
                break
        t0 = time.monotonic()
        km.interrupt_kernel()
        reply = shell_reply(kc, msg_id, timeout=TIMEOUT)
        iopub_until_idle(kc, msg_id)
        assert time.monotonic() - t0 < 5
        assert reply["content"]["ename"] == "Interrupted", reply["content"]
        counts = execute_ok(kc, "study.counts").result
        # The interrupt lands inside a trial (which then fails, "interrupted") or, with a
        # fast release kernel, between two trials (nothing fails); never a running trial.
        assert '"running": 0' in counts and ('"fail": 1' in counts or '"fail": 0' in counts), counts
        fails = 1 if '"fail": 1' in counts else 0
        finished = int(execute_ok(kc, 'study.counts["complete"]! + study.counts["pruned"]!').result)
        assert finished >= 3
    finally:
        stop_kernel(km, kc)

    stored = optuna.load_study(study_name="long", storage=f"sqlite:///{db}")
    assert [t.state.name for t in stored.trials].count("FAIL") == fails
    assert len(stored.trials) == finished + fails
    if fails:
        assert stored.trials[-1].user_attrs.get("fail_reason") == "interrupted"

    km, kc = start_kernel()
    try:
        execute_ok(kc, SETUP)
        target = finished + 2
        run = execute_ok(kc, f'let again = search({SPACE}, trials: {target}, seed: 0, storage: "sqlite:///{db}", name: "long") '
                             '{ trial in objective(trial) }', timeout=120)
        assert execute_ok(kc, "again.trials.count").result == str(finished + fails + 2)
        assert execute_ok(kc, "again.trials.last![\"number\"]!").result == str(finished + fails + 1)
    finally:
        stop_kernel(km, kc)
    assert len(optuna.load_study(study_name="long", storage=f"sqlite:///{db}").trials) == finished + fails + 2


def test_mistakes_are_errors_and_the_kernel_lives(kernel):
    km, kc = kernel
    run = execute(kc, 'search(["x": .uniform(0, 1)], trials: 3, storage: "sqlite:////nonexistent-dir/x.db", name: "n") { t in 1.0 }')
    assert run.status == "error" and run.content["ename"] == "IOError", run.content
    assert execute_ok(kc, "1 + 1").result == "2"
