"""English names: pinyin with the generic words translated, made on save when none is typed."""

import pytest

from layers import models as m
from layers.english import english_name
from tests.builders import make_record


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("新兴县", "Xinxing County"),
        ("云浮新区", "Yunfu New Area"),
        ("新兴宁桥工业园", "Xinxing Ningqiao Industrial Park"),
        ("云安生和产业转移工业园07-1号地块", "Yun'an Shenghe Industrial Transfer Park 07-1 Plot"),
        ("河口街道", "Hekou Subdistrict"),
        ("YF-2024-001地块", "YF-2024-001 Plot"),
        ("云浮", "Yunfu"),
        ("云安区", "Yun'an District"),
        ("郁南县", "Yunan County"),
        ("", ""),
    ],
)
def test_english_name(name, english):
    assert english_name(name) == english


def test_save_makes_the_english_name_unless_one_is_typed(city):
    made = make_record("parcels", city, city.inside(0), name="腰古地块")
    assert made.name_en == "Yaogu Plot"
    typed = make_record(
        "parcels", city, city.inside(0, dx=0.01), name="腰古地块", name_en="Yaogu Riverside Site"
    )
    assert m.LandParcel.objects.get(pk=typed.pk).name_en == "Yaogu Riverside Site"
    # Blanked in the admin: made again from the name.
    typed.name_en = ""
    typed.save()
    assert typed.name_en == "Yaogu Plot"
