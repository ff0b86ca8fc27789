"""The ablation figure: one row per variant, filled markers for solved seeds, a clear error on a missing variant."""

import matplotlib.pyplot as plt
import pytest

from lstm_tutorial.figures.gate_ablation import plot_ablation


def _run(v, seed, solved, mse):
    return {
        "variant": v,
        "seed": seed,
        "solved": solved,
        "steps_to_solve": 500 if solved else None,
        "final_test_mse": mse,
    }


def test_plot_ablation_rows_and_markers():
    runs = [_run("vanilla", 0, True, 0.005), _run("vanilla", 1, True, 0.004), _run("NFG", 0, False, 0.17)]
    runs.append(_run("NFG", 1, False, None))
    fig = plot_ablation(runs, ["vanilla", "NFG"], threshold=0.01, chance=1 / 6, max_steps=1500, labels={"NFG": "no f"})
    left, right = fig.axes
    assert [t.get_text() for t in left.get_yticklabels()] == ["vanilla", "no f"]
    assert left.get_xscale() == "log"
    # 4 seeds + 2 reference lines on the left; 2 solved seeds + the budget on the right
    assert len(left.get_lines()) == 6 and len(right.get_lines()) == 3
    assert len(left.get_legend().get_texts()) == 2
    plt.close(fig)
    with pytest.raises(ValueError, match=r"no run of variants \['PH'\]"):
        plot_ablation(runs, ["vanilla", "PH"], threshold=0.01, chance=1 / 6, max_steps=1500)
