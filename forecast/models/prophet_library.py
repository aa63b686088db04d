"""Prophet itself, imported quietly: what worker pools preload for the Prophet models.

Importing ``prophet`` logs "Importing plotly failed. Interactive plots will not work." on
a machine without plotly. ``forecast.models.prophet`` imports it inside ``quiet()`` when it
first fits, but the workers import it ahead of the first fit (``forecast.engine.started``),
and there the line reached the user's terminal, through ``--quiet`` too.
"""

from forecast.models.prophet import quiet

with quiet():
    import prophet  # noqa: F401
