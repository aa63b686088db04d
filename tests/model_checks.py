"""The shared battery of estimator checks every cropcast forecaster must pass.

Call :func:`check_estimator` from a model's test module::

    from tests.model_checks import check_estimator

    def test_ets_contract(monthly_prices):
        check_estimator(lambda: ETS(), monthly_prices)

``model_factory`` returns a new, unfitted model; ``y`` is a positive price Series on a
regular DatetimeIndex with a ``freq``, long enough for the model (ideally a few years of
monthly data). Each check is also a plain function so a test can run one in isolation.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from forecast.errors import NotFittedError

ModelFactory = Callable[[], object]


def check_params_only(model_factory: ModelFactory) -> None:
    """``__init__`` stores each keyword argument under its own name, and nothing else."""
    model = model_factory()
    signature = inspect.signature(type(model).__init__)
    names = {
        name
        for name, param in signature.parameters.items()
        if name != "self" and param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
    }
    stored = set(vars(model))
    assert stored == names, f"__init__ stored {sorted(stored)}, signature has {sorted(names)}"
    params = model.get_params()
    clone = type(model)(**params)
    assert clone.get_params() == params, "get_params() does not round-trip through __init__"
    for attr in ("name", "supports_exog", "supports_intervals", "min_length"):
        assert hasattr(type(model), attr), f"{type(model).__name__} does not declare {attr}"
    assert isinstance(model.min_length, int) and model.min_length >= 1


def check_not_fitted(model_factory: ModelFactory) -> None:
    """``predict`` before ``fit`` raises ``NotFittedError``."""
    with pytest.raises(NotFittedError):
        model_factory().predict(3)


def expected_future_dates(y: pd.Series, h: int) -> pd.DatetimeIndex:
    freq = y.index.freq or pd.infer_freq(y.index)
    return pd.date_range(y.index[-1], periods=h + 1, freq=freq)[1:]


def check_forecast_frame(
    frame: pd.DataFrame,
    y: pd.Series,
    h: int,
    levels: Sequence[int] = (80, 95),
    strictly_wider: bool = True,
) -> None:
    """A forecast frame has ``h`` rows on the next period starts and sane, nested intervals.

    ``strictly_wider`` also asks that a higher level gives a strictly wider interval
    somewhere; a fit on a few identical prices may honestly have zero spread.
    """
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == h
    expected = expected_future_dates(y, h)
    assert frame.index.equals(expected), f"dates {frame.index[:3]}... != {expected[:3]}..."
    if isinstance(y.index.freq, pd.offsets.MonthBegin):
        assert frame.index.is_month_start.all()
    columns = ["forecast"] + [f"{side}_{level}" for level in levels for side in ("lower", "upper")]
    assert set(frame.columns) == set(columns), f"columns {list(frame.columns)} != {columns}"
    values = frame[columns].to_numpy(dtype=float)
    assert np.isfinite(values).all(), "forecast or bounds not finite"
    assert (values > 0).all(), "forecast or bounds not positive"
    # A relative tolerance: bounds computed as exp(mean +- 0) may differ in the last bit.
    tol = 1e-9 * frame["forecast"].abs()
    for level in levels:
        lower, upper = frame[f"lower_{level}"], frame[f"upper_{level}"]
        assert (lower <= frame["forecast"] + tol).all(), f"lower_{level} above forecast"
        assert (frame["forecast"] <= upper + tol).all(), f"upper_{level} below forecast"
    ordered = sorted(levels)
    for narrow, wide in zip(ordered, ordered[1:], strict=False):
        assert (frame[f"lower_{wide}"] <= frame[f"lower_{narrow}"] + tol).all()
        assert (frame[f"upper_{wide}"] >= frame[f"upper_{narrow}"] - tol).all()
        if strictly_wider:
            width_narrow = (frame[f"upper_{narrow}"] - frame[f"lower_{narrow}"]).sum()
            width_wide = (frame[f"upper_{wide}"] - frame[f"lower_{wide}"]).sum()
            assert width_wide > width_narrow, f"{wide}% interval is not wider than {narrow}%"


def check_fit_predict(model_factory: ModelFactory, y: pd.Series, h: int = 6) -> None:
    """``fit`` returns self, leaves ``y`` untouched; ``predict`` gives a valid frame."""
    before = y.copy()
    model = model_factory()
    assert model.fit(y) is model, "fit must return self"
    pd.testing.assert_series_equal(y, before, obj="y after fit")
    check_forecast_frame(model.predict(h), y, h)
    check_forecast_frame(model.predict(h, levels=(50, 90)), y, h, levels=(50, 90))
    check_forecast_frame(model.predict(1, levels=[95]), y, 1, levels=(95,))


def check_deterministic(model_factory: ModelFactory, y: pd.Series, h: int = 6) -> None:
    """Two fits on the same data, and a refit of one instance, give the same forecast."""
    first = model_factory().fit(y).predict(h)
    model = model_factory().fit(y)
    second = model.predict(h)
    pd.testing.assert_frame_equal(first, second, rtol=1e-9)
    pd.testing.assert_frame_equal(first, model.fit(y).predict(h), rtol=1e-9)


def check_nan_gap(model_factory: ModelFactory, y: pd.Series, h: int = 6) -> None:
    """A series with a few months missing in the middle still fits and forecasts."""
    gappy = y.copy()
    middle = len(gappy) // 2
    gappy.iloc[middle : middle + 3] = np.nan
    model = model_factory().fit(gappy)
    check_forecast_frame(model.predict(h), gappy, h)


def check_short_series(model_factory: ModelFactory, y: pd.Series, h: int = 6) -> None:
    """A series one short of ``min_length`` raises ``ValueError`` naming the minimum; a
    series of exactly ``min_length`` (and of 8 points where that is more) works."""
    min_length = model_factory().min_length
    observed = y.dropna()
    too_short = y.loc[observed.index[-(min_length - 1)] :] if min_length > 1 else y.iloc[:0]
    with pytest.raises(ValueError, match=rf"\b{min_length}\b"):
        model_factory().fit(too_short)
    for n in sorted({min_length, max(min_length, 8)}):
        short = y.loc[observed.index[-n] :]
        model = model_factory().fit(short)
        check_forecast_frame(model.predict(h), short, h, strictly_wider=False)


def check_estimator(model_factory: ModelFactory, y: pd.Series, h: int = 6) -> None:
    """Run every check in this module on the model ``model_factory`` makes."""
    check_params_only(model_factory)
    check_not_fitted(model_factory)
    check_fit_predict(model_factory, y, h)
    check_deterministic(model_factory, y, h)
    check_nan_gap(model_factory, y, h)
    check_short_series(model_factory, y, h)
