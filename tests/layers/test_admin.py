import pytest

from accounts.roles import Role
from layers.registry import LAYERS
from tests.builders import make_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("layer", list(LAYERS))
def test_admin_pages_render_with_an_offline_map(client, city, layer):
    admin = city.users[Role.ADMIN]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    record = make_record(layer, city, city.inside())
    meta = LAYERS[layer].model._meta
    assert client.get(f"/admin/layers/{meta.model_name}/").status_code == 200
    page = client.get(f"/admin/layers/{meta.model_name}/{record.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "vendor/ol/ol.js" in html
    assert "cdn.jsdelivr" not in html and "earthdata" not in html
