"""Views beyond a path on a contour, computed with no drawing (numpy only):

- :mod:`~optviz.views.stability`: the convergence rate of GD, heavy-ball and Nesterov momentum
  on a quadratic over (learning rate, momentum), from the closed form of the linear iteration
  (and, for any function, measured by running the grid);
- :mod:`~optviz.views.basins`: which known minimum each start of a grid reaches, and in how
  many steps;
- :mod:`~optviz.views.lrscan`: the loss after K steps (or the steps to a tolerance) against the
  learning rate, one series per optimizer.

Each view has its settings record in :mod:`~optviz.views.settings` (fields declared with
:func:`~optviz.settings.record.setting`, like the run and draw records), from which the command
line options and the YAML keys are generated. The pictures are drawn by
:mod:`optviz.render.stability`, :mod:`optviz.render.basins` and :mod:`optviz.render.lrscan`.
"""
