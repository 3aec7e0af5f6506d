"""Who may do what where: the one place that decides every permission.

- ``resources``: every resource's declaration (scope fields and role → action table);
- ``scope``: the user's reach, computed once per request (``scope_of``);
- ``rules``: the engine that turns a declaration into a queryset filter or a yes/no for a record;
- ``predicates``: the typed questions views, jobs and tiles ask (``can_read`` …);
- ``media``: files follow the record that owns them;
- ``drf``: the declarations as DRF permission classes.

Above ``accounts`` (users, roles, bindings) and ``layers`` (the spatial models), below every app
that serves data. It names domain models by label only, so it imports none of them.
"""
