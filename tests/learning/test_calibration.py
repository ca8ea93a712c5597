import numpy as np
import pytest

from learning.core.calibration import calibrated_log_loss, platt_scaling


def outcomes_and_logits(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * signal))).astype(int)
    return y, signal


def test_platt_scaling_undoes_a_squeeze_of_the_log_odds() -> None:
    y, logits = outcomes_and_logits(0, n=4000)
    scale, _ = platt_scaling(logits / 4, y)
    assert scale == pytest.approx(8, rel=0.15)  # the outcomes were drawn at log-odds 2 x signal


def test_calibrated_log_loss_ignores_the_scale_of_the_log_odds_and_rewards_their_ranking() -> None:
    y, logits = outcomes_and_logits(1)
    assert calibrated_log_loss(logits * 5, y) == pytest.approx(calibrated_log_loss(logits, y), abs=1e-4)
    assert calibrated_log_loss(logits * 5 + 3, y) == pytest.approx(calibrated_log_loss(logits, y), abs=1e-4)
    noisy = logits + np.random.default_rng(2).normal(scale=2, size=len(logits))
    assert calibrated_log_loss(noisy, y) > calibrated_log_loss(logits, y)
    # Raw log-loss, by contrast, punishes the overconfident scale the better ranking came with.
    raw = float(np.mean(np.logaddexp(0, np.where(y == 1, -logits * 5, logits * 5))))
    assert raw > calibrated_log_loss(logits * 5, y)
