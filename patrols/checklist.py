"""标准检查项: what a checklist template's items may say, and whether a run's results fit the version
of the template the run was started with.

An item is ``{key, label, type, required, choices}``; ``type`` is one of ``ItemType``. A result is
``{item_key: value}``:

=========  ===============================================================
type       value
=========  ===============================================================
yes_no     true or false
number     a number (not a boolean)
choice     one of the item's ``choices``
text       a string
photo      a photo's address, or a list of them
=========  ===============================================================

A required item must have a value (not null, "" or []); an optional one may be left out or null.
Every problem is reported at once, each under the name of the item it concerns
(``results.<key>``, ``items.<n>``), so a phone can point at the field to fix.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class ItemType(models.TextChoices):
    YES_NO = "yes_no", gettext_lazy("是否")
    NUMBER = "number", gettext_lazy("数值")
    CHOICE = "choice", gettext_lazy("选项")
    TEXT = "text", gettext_lazy("文字")
    PHOTO = "photo", gettext_lazy("照片")


class ChecklistError(Exception):
    """What is wrong, by field name (``items.2``, ``results.fire_exit``)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def check_items(items: Any) -> list[dict[str, Any]]:
    """The items, normalised (``required`` false and ``choices`` [] when left out); raises
    ``ChecklistError`` naming each item that is wrong."""
    if not isinstance(items, list) or not items:
        raise ChecklistError({"items": [_("检查项是一个非空列表，每项含 key、label、type。")]})
    errors: dict[str, list[str]] = {}
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, item in enumerate(items):
        name = f"items.{n}"
        if not isinstance(item, dict):
            errors[name] = [_("检查项是一个对象：{key, label, type, required, choices}。")]
            continue
        key, label, kind = item.get("key"), item.get("label"), item.get("type")
        choices = item.get("choices") or []
        required = item.get("required", False)
        wrong: list[str] = []
        if not isinstance(key, str) or not KEY.match(key):
            wrong.append(_("key 用小写英文字母、数字和下划线，以字母开头，如 fire_exit。"))
        elif key in seen:
            wrong.append(_("key “%(key)s” 重复。") % {"key": key})
        if not isinstance(label, str) or not label.strip():
            wrong.append(_("请填写检查项名称（label）。"))
        if kind not in ItemType.values:
            wrong.append(_("type 可选：%(types)s。") % {"types": "、".join(ItemType.values)})
        if not isinstance(required, bool):
            wrong.append(_("required 是 true 或 false。"))
        if kind == ItemType.CHOICE:
            if (
                not isinstance(choices, list)
                or len(choices) < 2
                or not all(isinstance(c, str) and c for c in choices)
                or len(set(choices)) != len(choices)
            ):
                wrong.append(_("选项类检查项须有至少两个不重复的选项（choices）。"))
        elif choices:
            wrong.append(_("只有选项类（choice）检查项有 choices。"))
        if wrong or not isinstance(key, str) or not isinstance(label, str):
            errors[name] = wrong
            continue
        seen.add(key)
        out.append(
            {"key": key, "label": label.strip(), "type": kind, "required": required, "choices": list(choices)}
        )
    if errors:
        raise ChecklistError(errors)
    return out


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _fits(item: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` does not fit ``item``, or None."""
    kind = item["type"]
    if kind == ItemType.YES_NO and not isinstance(value, bool):
        return _("“%(label)s”填 true 或 false。")
    if kind == ItemType.NUMBER and (isinstance(value, bool) or not isinstance(value, int | float)):
        return _("“%(label)s”填一个数值。")
    if kind == ItemType.CHOICE and value not in item["choices"]:
        return _("“%(label)s”只能选：%(choices)s。")
    if kind == ItemType.TEXT and not isinstance(value, str):
        return _("“%(label)s”填文字。")
    if kind == ItemType.PHOTO and not (
        isinstance(value, str) or (isinstance(value, list) and all(isinstance(p, str) and p for p in value))
    ):
        return _("“%(label)s”填照片地址或照片地址列表。")
    return None


def check_results(items: list[dict[str, Any]], results: Any) -> dict[str, Any]:
    """The results, if they fit the items of one template version; raises ``ChecklistError`` naming
    each item: a required one missing, a value of the wrong type, a choice not offered, a key the
    version does not have."""
    if not isinstance(results, dict):
        raise ChecklistError({"results": [_("检查结果是一个对象：{检查项 key: 结果}。")]})
    errors: dict[str, list[str]] = {}
    by_key = {item["key"]: item for item in items}
    for key in results:
        if key not in by_key:
            errors[f"results.{key}"] = [
                _("此模板版本没有检查项“%(key)s”；可填：%(keys)s。") % {"key": key, "keys": "、".join(by_key)}
            ]
    for key, item in by_key.items():
        value = results.get(key)
        if _empty(value):
            if item["required"]:
                errors[f"results.{key}"] = [_("“%(label)s”是必填项。") % {"label": item["label"]}]
            continue
        why = _fits(item, value)
        if why:
            errors[f"results.{key}"] = [why % {"label": item["label"], "choices": "、".join(item["choices"])}]
    if errors:
        raise ChecklistError(errors)
    return {key: value for key, value in results.items() if not _empty(value)}
