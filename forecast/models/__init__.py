"""Model registry: names -> classes, imported lazily so ``cropcast --help`` stays fast.

Heavy libraries (statsmodels, Prophet, scikit-learn) are imported inside each model module,
and a module is imported only when its model is asked for.
"""

from __future__ import annotations

import importlib

from forecast.errors import UsageError

#: name -> "module:Class". One model family per module.
REGISTRY: dict[str, str] = {
    "auto": "forecast.auto:AutoForecaster",  # the default, listed first
    "naive": "forecast.models.simple:Naive",
    "snaive": "forecast.models.simple:SeasonalNaive",
    "drift": "forecast.models.simple:Drift",
    "window": "forecast.models.simple:WindowAverage",
    "ets": "forecast.models.ets:ETS",
    "theta": "forecast.models.theta:Theta",
    "arima": "forecast.models.arima:ARIMA",
    "prophet": "forecast.models.prophet:ProphetModel",
    "gbm": "forecast.models.gbm:GBM",
    # Prophet exactly as shipped (raw prices, default settings): the benchmark's peer.
    "prophet_default": "forecast.models.prophet:ProphetDefault",
}


def available_models() -> list[str]:
    return list(REGISTRY)


def model_class(name: str):
    """The class registered under ``name``; ``UsageError`` listing valid names otherwise."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise UsageError(
            f"unknown model '{name}'", "--model", f"Choose one of: {', '.join(REGISTRY)}"
        ) from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def make_model(name: str, **params):
    """A new, unfitted model instance."""
    return model_class(name)(**params)
