"""``makemessages`` that also reads ``_lazy("…")``: modules that need both the eager and the lazy
gettext import the lazy one as ``_lazy``, and xgettext knows only the standard names."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]
