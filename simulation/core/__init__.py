"""The model: parameters, the social graph, consumer state, processes, the two engines.

Depends on numpy, scipy, networkx, mesa and :mod:`simulation.errors` only. Modules,
lowest first:

``tomlfile``
    ``read_toml``: a TOML input file with one-line errors.
``params``, ``presets``
    Every parameter, validated in one place (``Params``); the documented presets.
``network``
    The social graph (package: ``generators``, ``readers``, ``adjacency``): ``build_graph``,
    ``to_adjacency``, tie strength.
``state``, ``brand``
    The consumer arrays (``ConsumerState``); the budget split and claims (``Brand``).
``processes``
    One module per process of a step, each a function over the state arrays.
``metrics``
    The reporters, one per output (``METRICS``).
``agents``
    Mesa agents as views on the arrays.
``progress``
    Build stages announced to an optional listener (core never prints).
``inputs``, ``running``
    What both engines build before the first step; their shared ``run`` and
    ``timeseries`` (``RunMixin``).
``model``, ``reference``
    ``WordOfMouthModel`` (the vectorised engine) and ``ReferenceModel`` (per-agent, the
    test oracle).

See docs/ODD.md for the model itself.
"""
