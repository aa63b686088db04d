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


#: The libraries a model loads when it first fits (beyond its own module). Worker pools
#: import them while the caller is still reading its data (``forecast.engine.started``).
LIBRARIES: dict[str, tuple[str, ...]] = {
    "ets": ("statsmodels.tsa.exponential_smoothing.ets",),
    "theta": ("statsmodels.tsa.forecasting.theta",),
    "arima": ("statsmodels.tsa.statespace.sarimax", "statsmodels.tsa.stattools"),
    "prophet": ("forecast.models.prophet_library",),  # Prophet, imported quietly
    "prophet_default": ("forecast.models.prophet_library",),
    "gbm": ("sklearn.ensemble",),
}
LIBRARIES["auto"] = LIBRARIES["ets"] + LIBRARIES["theta"]  # its default candidates


def model_imports(name: str) -> tuple[str, ...]:
    """Modules a worker needs to fit ``name``: its own module, then its libraries."""
    module = REGISTRY[check_model_name(name)].split(":")[0]
    return (module, *LIBRARIES.get(name, ()))


def available_models() -> list[str]:
    return list(REGISTRY)


def check_model_name(name: str, option: str = "--model") -> str:
    """``name`` if a model is registered under it; ``UsageError`` listing valid names otherwise,
    under ``option``, the command-line option that named it.

    Imports nothing: a process that only hands series to workers never loads statsmodels.
    """
    if name not in REGISTRY:
        raise UsageError(f"unknown model '{name}'", option, f"Choose one of: {', '.join(REGISTRY)}")
    return name


def model_class(name: str):
    """The class registered under ``name``; ``UsageError`` listing valid names otherwise."""
    module, cls = REGISTRY[check_model_name(name)].split(":")
    return getattr(importlib.import_module(module), cls)


def make_model(name: str, **params):
    """A new, unfitted model instance."""
    return model_class(name)(**params)
