"""Review before publish: a park manager's edits wait in a changeset until an officer of the park's
division approves them; everyone else's apply live. Locking, holds, returns, reverts, split and
merge, the layer API's refusal of a bypass, messages, and a 1,000-item approval."""

from __future__ import annotations

import json
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from audit.models import Entry
from editing.changesets import feature_json, held_ids, stage_import
from editing.models import ChangeItem, Changeset
from inbox.models import Message
from layers.models import LandParcel
from tests.builders import X0, Y0, edit, park_parcel, polygon, save_edits
from tests.tiles.test_vector_tiles import features, get, tile_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(city):
    return {
        "manager": city.users[Role.PARK_MANAGER],
        "officer": city.users[Role.DISTRICT_OFFICER],
        "city_officer": city.users[Role.CITY_OFFICER],
    }


@pytest.fixture
def parcel(city):
    return park_parcel(city, X0 + 0.010, Y0 + 0.010, X0 + 0.012, Y0 + 0.012, name="旧名")


def submit(api, user, changeset_id, title="测绘更新"):
    return api.as_user(user).post(
        f"/api/editing/changesets/{changeset_id}/submit/", {"title": title}, format="json"
    )


def approve(api, user, changeset_id):
    return api.as_user(user).post(f"/api/editing/changesets/{changeset_id}/approve/", {}, format="json")


def anonymous_name(pk):
    response = APIClient().get(f"/api/parcels/{pk}/")
    assert response.status_code == 200
    return response.json()["properties"]["name"]


def test_a_managers_edit_is_staged_until_an_officer_approves_it(api, city, people, parcel, on_commit):
    manager, officer = people["manager"], people["officer"]
    x, y = tile_of(X0 + 0.021, Y0 + 0.021, 14)
    new_shape = polygon(X0 + 0.020, Y0 + 0.020, X0 + 0.022, Y0 + 0.022)
    response = save_edits(
        api,
        manager,
        city.park,
        edit(record=parcel, name="新名"),
        edit(action="create", code="NEW-1", land_use="industrial", is_public=True, geometry=new_shape),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applied"] is False and body["changeset"]["state"] == "open"
    assert body["changeset"]["counts"] == {"create": 1, "update": 1, "delete": 0}
    updated, created = body["features"]
    assert updated["id"] == parcel.pk and updated["properties"]["name"] == "新名"
    assert updated["properties"]["pending"]["revision"] == 1
    assert created["id"].startswith("new-") and created["properties"]["code"] == "NEW-1"
    # Not public: the live record, the public API and the public tile are as they were.
    parcel.refresh_from_db()
    assert parcel.name == "旧名" and parcel.version == 1
    assert anonymous_name(parcel.pk) == "旧名"
    assert not LandParcel.objects.filter(code="NEW-1").exists()
    assert not [
        f
        for f in features(get(APIClient(), "parcels", 14, x, y), "parcels")
        if f["properties"].get("code") == "NEW-1"
    ]
    # The working copy shows both, the published view neither.
    working = api.as_user(manager).get(f"/api/editing/working/?park={city.park.pk}&layer=parcels").json()
    assert working["reviewed"] is True and working["park"]["edits_need_approval"] is True
    shown = {f["id"]: f for f in working["features"]}
    assert shown[parcel.pk]["properties"]["name"] == "新名" and created["id"] in shown
    published = api.as_user(manager).get(
        f"/api/editing/working/?park={city.park.pk}&layer=parcels&view=published"
    )
    shown = {f["id"]: f for f in published.json()["features"]}
    assert shown[parcel.pk]["properties"]["name"] == "旧名" and created["id"] not in shown
    assert shown[parcel.pk]["properties"]["pending"] is None

    changeset_id = body["changeset"]["id"]
    assert submit(api, manager, changeset_id).status_code == 200
    # Officers of the park's division are told, with a link to the editor.
    told = Message.objects.filter(kind="review", link=f"/editor/?changeset={changeset_id}")
    assert set(told.values_list("recipient__username", flat=True)) >= {
        officer.username,
        people["city_officer"].username,
    }
    assert not told.filter(recipient=manager).exists()
    # The author does not review their own changeset; the officer does.
    assert approve(api, manager, changeset_id).status_code == 403
    detail = api.as_user(officer).get(f"/api/editing/changesets/{changeset_id}/").json()
    item = next(i for i in detail["items"] if i["action"] == "update")
    assert {"field": "name", "label": "地块名称", "old": "旧名", "new": "新名"} in item["changes"]
    with on_commit():
        response = approve(api, officer, changeset_id)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "approved"
    parcel.refresh_from_db()
    assert parcel.name == "新名" and parcel.version == 2
    row = parcel.history.order_by("-history_id").first()
    assert row.history_change_reason == f"changeset #{changeset_id}" and row.history_user == manager
    assert anonymous_name(parcel.pk) == "新名"
    new = LandParcel.objects.get(code="NEW-1")
    assert new.park == city.park and new.created_by == manager
    # The public tile shows it now: the approval moved the tile version on (no stale tile).
    assert [f for f in features(get(APIClient(), "parcels", 14, x, y), "parcels") if f["id"] == new.pk]
    # One audit entry per record written, one for the approval.
    assert Entry.objects.filter(action="approve", object_id=str(changeset_id)).count() == 1
    assert Entry.objects.filter(
        object_type="layers.landparcel", object_id=str(parcel.pk), action="update"
    ).exists()
    assert Entry.objects.filter(
        object_type="layers.landparcel", object_id=str(new.pk), action="create"
    ).exists()
    # The author hears of it.
    assert Message.objects.filter(
        recipient=manager, kind="result", link=f"/editor/?changeset={changeset_id}"
    ).exists()
    assert ChangeItem.objects.get(changeset_id=changeset_id, action="create").applied_id == new.pk


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_returned_changesets_open_again_with_the_comment(api, city, people, parcel):
    manager, officer = people["manager"], people["officer"]
    changeset_id = save_edits(api, manager, city.park, edit(record=parcel, name="A")).json()["changeset"][
        "id"
    ]
    assert submit(api, manager, changeset_id).status_code == 200
    url = f"/api/editing/changesets/{changeset_id}/return/"
    refused = api.as_user(officer).post(url, {"comment": " "}, format="json")
    assert refused.status_code == 400 and "comment" in refused.json()["error"]["fields"]
    returned = api.as_user(officer).post(url, {"comment": "名称不对"}, format="json")
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    assert returned.json()["review_comment"] == "名称不对"
    assert Message.objects.filter(recipient=manager, kind="returned", body="名称不对").exists()
    assert Entry.objects.filter(action="return", object_id=str(changeset_id)).exists()
    # The managers fix it in the same changeset and submit again.
    item = ChangeItem.objects.get(changeset_id=changeset_id)
    again = save_edits(api, manager, city.park, edit(record=parcel, name="B", revision=item.revision))
    assert again.status_code == 200, again.content
    assert again.json()["changeset"]["id"] == changeset_id
    assert submit(api, manager, changeset_id).status_code == 200
    assert approve(api, officer, changeset_id).status_code == 200
    parcel.refresh_from_db()
    assert parcel.name == "B"


def test_stale_versions_at_save_and_stale_items_at_approval(api, city, people, parcel):
    manager, officer = people["manager"], people["officer"]
    stale = save_edits(api, manager, city.park, edit(record=parcel, name="x", version=parcel.version + 5))
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "stale_version" and error["record"] == parcel.pk
    assert error["current_version"] == 1 and error["current"]["id"] == parcel.pk
    assert error["mine"]["properties"] == {"name": "x"}

    changeset_id = save_edits(api, manager, city.park, edit(record=parcel, name="M")).json()["changeset"][
        "id"
    ]
    assert submit(api, manager, changeset_id).status_code == 200
    # Held while it waits for review: nobody changes the record meanwhile, through the editor.
    held = save_edits(api, officer, city.park, edit(record=parcel, name="O"))
    assert held.status_code == 409 and held.json()["error"]["code"] == "held"
    assert held.json()["error"]["changeset"] == changeset_id
    assert held_ids("parcels", [parcel.pk]) == {parcel.pk: changeset_id}
    # The live record changes another way (the layer API): the item is stale at approval.
    patched = api.as_user(officer).patch(
        f"/api/parcels/{parcel.pk}/", {"properties": {"name": "O", "version": 1}}, format="json"
    )
    assert patched.status_code == 200
    response = approve(api, officer, changeset_id)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "stale_items"
    assert error["stale_items"][0]["record"] == parcel.pk and error["stale_items"][0]["current_version"] == 2
    parcel.refresh_from_db()
    assert parcel.name == "O" and Changeset.objects.get(pk=changeset_id).state == "submitted"


def test_two_managers_meet_in_a_conflict_on_the_items_revision(api, city, people, parcel):
    first = people["manager"]
    second = User.objects.create_user(username="u-manager-2", role=Role.PARK_MANAGER, park=city.park)
    assert save_edits(api, first, city.park, edit(record=parcel, name="第一")).status_code == 200
    # The second read the parcel before the first saved: no pending revision.
    response = save_edits(api, second, city.park, edit(record=parcel, name="第二", revision=0))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "stale_version"
    assert error["current"]["properties"]["name"] == "第一"
    assert error["current"]["properties"]["pending"]["revision"] == 1
    # Re-applied on top of the current state, it goes in.
    again = save_edits(api, second, city.park, edit(record=parcel, name="第二", revision=1))
    assert again.status_code == 200, again.content
    assert again.json()["features"][0]["properties"]["pending"]["revision"] == 2


def test_a_shared_boundary_moves_in_both_parcels_in_one_staged_save(api, city, people):
    manager = people["manager"]
    left = park_parcel(city, X0 + 0.010, Y0 + 0.010, X0 + 0.012, Y0 + 0.012)
    right = park_parcel(city, X0 + 0.012, Y0 + 0.010, X0 + 0.014, Y0 + 0.012)
    response = save_edits(
        api,
        manager,
        city.park,
        edit(record=left, geometry=polygon(X0 + 0.010, Y0 + 0.010, X0 + 0.013, Y0 + 0.012)),
        edit(record=right, geometry=polygon(X0 + 0.013, Y0 + 0.010, X0 + 0.014, Y0 + 0.012)),
    )
    assert response.status_code == 200, response.content
    assert response.json()["issues"] == []
    items = ChangeItem.objects.filter(record_id__in=[left.pk, right.pk])
    assert items.count() == 2 and len({i.changeset_id for i in items}) == 1
    # A later save of a third parcel overlapping the pending (not the live) shape is warned about.
    dry = save_edits(
        api,
        manager,
        city.park,
        edit(
            action="create",
            code="X-3",
            land_use="industrial",
            geometry=polygon(X0 + 0.0125, Y0 + 0.012, X0 + 0.0128, Y0 + 0.013),
        ),
        dry_run=True,
    )
    assert dry.json()["issues"] == []
    dry = save_edits(
        api,
        manager,
        city.park,
        edit(
            action="create",
            code="X-3",
            land_use="industrial",
            geometry=polygon(X0 + 0.0125, Y0 + 0.0115, X0 + 0.0128, Y0 + 0.013),
        ),
        dry_run=True,
    )
    assert [(i["kind"], i["other"]) for i in dry.json()["issues"]] == [("overlap", left.pk)]


def test_revert_and_discard_items(api, city, people, parcel):
    manager, officer = people["manager"], people["officer"]
    for name in ("二", "三"):
        current = LandParcel.objects.get(pk=parcel.pk)
        response = api.as_user(officer).patch(
            f"/api/parcels/{parcel.pk}/",
            {"properties": {"name": name, "version": current.version}},
            format="json",
        )
        assert response.status_code == 200
    history = api.as_user(manager).get(f"/api/parcels/{parcel.pk}/history/").json()["history"]
    first = history[-1]  # as it was created
    response = save_edits(
        api, manager, city.park, edit(action="revert", record=parcel, history_id=first["history_id"])
    )
    assert response.status_code == 200, response.content
    assert response.json()["features"][0]["properties"]["name"] == "旧名"
    changeset_id = response.json()["changeset"]["id"]
    item = ChangeItem.objects.get(changeset_id=changeset_id)
    assert item.action == "update" and item.before["properties"]["name"] == "三"
    # Discarding it leaves the live record as it is.
    url = f"/api/editing/changesets/{changeset_id}/items/{item.pk}/"
    assert api.as_user(officer).delete(url).status_code == 403
    assert api.as_user(manager).delete(url).status_code == 204
    assert not ChangeItem.objects.filter(pk=item.pk).exists()
    # Revert again, then approve: back to the loaded state, version + 1.
    response = save_edits(
        api, manager, city.park, edit(action="revert", record=parcel, history_id=first["history_id"])
    )
    changeset_id = response.json()["changeset"]["id"]
    assert submit(api, manager, changeset_id).status_code == 200
    assert approve(api, officer, changeset_id).status_code == 200
    parcel.refresh_from_db()
    assert parcel.name == "旧名" and parcel.version == 4


def test_officers_and_unreviewed_parks_apply_live(api, city, people, parcel):
    officer, manager = people["officer"], people["manager"]
    response = save_edits(api, officer, city.park, edit(record=parcel, name="专员改"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applied"] is True and body["changeset"] is None
    parcel.refresh_from_db()
    assert parcel.name == "专员改" and parcel.version == 2 and parcel.history.count() == 2
    assert anonymous_name(parcel.pk) == "专员改"
    city.park.edits_need_approval = False
    city.park.save()
    response = save_edits(api, manager, city.park, edit(record=parcel, name="管理员改"))
    assert response.status_code == 200 and response.json()["applied"] is True
    parcel.refresh_from_db()
    assert parcel.name == "管理员改" and parcel.version == 3


def test_the_layer_api_refuses_a_reviewed_managers_bypass(api, city, people, parcel):
    manager = people["manager"]
    url = f"/api/parcels/{parcel.pk}/"
    body = {"properties": {"name": "绕过", "version": parcel.version}}
    response = api.as_user(manager).patch(url, body, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "review_required"
    assert "/editor/" in error["message"] and "/api/editing/edits/" in error["message"]
    created = api.as_user(manager).post(
        "/api/parcels/",
        {
            "type": "Feature",
            "geometry": polygon(X0 + 0.02, Y0 + 0.02, X0 + 0.021, Y0 + 0.021),
            "properties": {"code": "BY-1", "land_use": "industrial"},
        },
        format="json",
    )
    assert created.status_code == 409 and created.json()["error"]["code"] == "review_required"
    deleted = api.as_user(manager).delete(url, HTTP_IF_MATCH='"1"')
    assert deleted.status_code == 409
    parcel.refresh_from_db()
    assert parcel.name == "旧名" and parcel.deleted_at is None
    # Buildings are reviewed too; panoramas are not.
    city.park.edits_need_approval = False
    city.park.save()
    response = api.as_user(manager).patch(url, body, format="json")
    assert response.status_code == 200, response.content


def test_split_and_merge(api, city, people, parcel):
    manager = people["manager"]
    line = {"type": "LineString", "coordinates": [[X0 + 0.011, Y0 + 0.009], [X0 + 0.011, Y0 + 0.013]]}
    response = api.as_user(manager).post(
        "/api/editing/split/", {"layer": "parcels", "id": parcel.pk, "line": line}, format="json"
    )
    assert response.status_code == 200, response.content
    parts = response.json()["parts"]
    assert len(parts) == 2 and all(p["type"] == "Polygon" for p in parts)
    miss = {"type": "LineString", "coordinates": [[X0 + 0.02, Y0 + 0.009], [X0 + 0.02, Y0 + 0.013]]}
    response = api.as_user(manager).post(
        "/api/editing/split/", {"layer": "parcels", "id": parcel.pk, "line": miss}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "split"
    right = park_parcel(city, X0 + 0.012, Y0 + 0.010, X0 + 0.014, Y0 + 0.012)
    far = park_parcel(city, X0 + 0.020, Y0 + 0.010, X0 + 0.022, Y0 + 0.012)
    merged = api.as_user(manager).post(
        "/api/editing/merge/", {"layer": "parcels", "ids": [parcel.pk, right.pk]}, format="json"
    )
    assert merged.status_code == 200, merged.content
    assert merged.json()["geometry"]["type"] == "Polygon"
    apart = api.as_user(manager).post(
        "/api/editing/merge/", {"layer": "parcels", "ids": [parcel.pk, far.pk]}, format="json"
    )
    assert apart.status_code == 400 and apart.json()["error"]["code"] == "merge"
    # The editor's working shapes, sent as they are on its map (a plot not saved yet, say).
    working = [json.loads(parcel.geom.json), json.loads(right.geom.json)]
    cut = api.as_user(manager).post(
        "/api/editing/split/", {"layer": "parcels", "geometry": working[0], "line": line}, format="json"
    )
    assert cut.status_code == 200 and cut.json()["parts"] == parts
    joined = api.as_user(manager).post(
        "/api/editing/merge/", {"layer": "parcels", "geometries": working}, format="json"
    )
    assert joined.status_code == 200 and joined.json()["geometry"] == merged.json()["geometry"]
    point = api.as_user(manager).post(
        "/api/editing/split/",
        {"layer": "parcels", "geometry": {"type": "Point", "coordinates": [X0, Y0]}, "line": line},
        format="json",
    )
    assert point.status_code == 400 and point.json()["error"]["code"] == "shape"
    # Nothing was written.
    parcel.refresh_from_db()
    assert parcel.version == 1 and not ChangeItem.objects.exists()
    assert api.as_user(AnonymousUser()).post("/api/editing/split/", {}, format="json").status_code == 401


def test_validation_messages_come_per_item(api, city, people, parcel):
    response = save_edits(api, people["manager"], city.park, edit(record=parcel, land_use="nonsense"))
    assert response.status_code == 400
    assert "land_use" in response.json()["error"]["fields"]["items"]["0"]


def test_changesets_are_listed_in_scope(api, city, people, parcel):
    manager = people["manager"]
    changeset_id = save_edits(api, manager, city.park, edit(record=parcel, name="A")).json()["changeset"][
        "id"
    ]
    for role in (Role.PARK_MANAGER, Role.DISTRICT_OFFICER, Role.CITY_LEADER):
        listed = api.as_user(city.users[role]).get("/api/editing/changesets/?state=open").json()
        assert [c["id"] for c in listed["results"]] == [changeset_id], role
    for role in (Role.GRID_WORKER, Role.INVESTOR):
        listed = api.as_user(city.users[role]).get("/api/editing/changesets/").json()
        assert listed["results"] == [], role
        assert (
            api.as_user(city.users[role]).get(f"/api/editing/changesets/{changeset_id}/").status_code == 404
        )


def test_approving_a_thousand_items(api, city, people):
    manager, officer = people["manager"], people["officer"]
    parcels = []
    for n in range(1000):
        x = X0 + 0.001 + (n % 40) * 0.0009
        y = Y0 + 0.001 + (n // 40) * 0.0009
        parcels.append(
            LandParcel(
                code=f"K-{n:04d}",
                land_use="industrial",
                is_public=True,
                park=city.park,
                division_code=city.villages[0].code,
                geom=polygon_geom(x, y),
            )
        )
    LandParcel.objects.bulk_create(parcels)
    items = []
    for record in LandParcel.objects.filter(code__startswith="K-"):
        before = feature_json("parcels", record)
        after = {**before, "properties": {**before["properties"], "name": f"批量{record.code}"}}
        items.append(
            {"layer": "parcels", "record": record, "action": "update", "before": before, "after": after}
        )
    changeset = stage_import(manager, city.park, None, items)
    assert submit(api, manager, changeset.pk).status_code == 200
    started = time.perf_counter()
    response = approve(api, officer, changeset.pk)
    elapsed = time.perf_counter() - started
    print(f"\napproval of 1,000 items: {elapsed:.2f} s")
    assert response.status_code == 200, response.content
    assert LandParcel.objects.filter(name__startswith="批量", version=2).count() == 1000


def polygon_geom(x, y, size=0.0008):
    from tests.builders import rect

    return rect(x, y, x + size, y + size)


def test_the_admin_does_not_let_a_reviewed_manager_write_live(client, city, people, parcel):
    from django.contrib.auth.models import Permission

    manager = people["manager"]
    manager.is_staff = True
    manager.save()
    manager.user_permissions.set(Permission.objects.filter(content_type__app_label="layers"))
    client.force_login(manager)
    url = f"/admin/layers/landparcel/{parcel.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "/editor/" in page.content.decode()  # the message: edit in the editor
    assert client.post(url, {"code": parcel.code, "name": "后台"}).status_code == 403
    assert client.get("/admin/layers/landparcel/add/").status_code == 403
    parcel.refresh_from_db()
    assert parcel.name == "旧名"
    # Layers that are not reviewed stay as they were.
    assert client.get("/admin/layers/panorama/add/").status_code == 200


def test_a_staged_delete_hides_the_plot_from_the_working_copy_until_approved(api, city, people, parcel):
    manager, officer = people["manager"], people["officer"]
    response = save_edits(api, manager, city.park, edit(action="delete", record=parcel))
    assert response.status_code == 200, response.content
    assert response.json()["features"] == [None]
    working = api.as_user(manager).get(f"/api/editing/working/?park={city.park.pk}&layer=parcels").json()
    assert parcel.pk not in {f["id"] for f in working["features"]}
    assert anonymous_name(parcel.pk) == "旧名"  # still published
    changeset_id = response.json()["changeset"]["id"]
    assert submit(api, manager, changeset_id).status_code == 200
    assert approve(api, officer, changeset_id).status_code == 200
    parcel = LandParcel.all_objects.get(pk=parcel.pk)
    assert parcel.deleted_at is not None and parcel.version == 2
    assert (
        parcel.history.order_by("-history_id").first().history_change_reason == f"changeset #{changeset_id}"
    )
    assert APIClient().get(f"/api/parcels/{parcel.pk}/").status_code == 404
