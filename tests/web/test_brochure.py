"""园区云名片: the one-page PDF of a published carrier or park, and the QR code of its link."""

from accounts.roles import Role
from audit.models import AuditAction, Entry
from layers.models import Division, Park
from tests.builders import make_record
from web.brochure import investment_contact


def test_a_published_parcel_has_a_one_page_brochure_in_either_language(client, city):
    plot = make_record("parcels", city, city.inside(0), is_public=True, name="腰古地块", price_wan_per_mu=20)
    for lang in ("zh", "en"):
        response = client.get(f"/brochure/parcels/{plot.pk}.pdf?lang={lang}")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        pdf = response.content
        assert pdf.startswith(b"%PDF") and b"/Count 1" in pdf, "one page"
        assert b"FontFile2" in pdf, "the Chinese font is embedded (a subset), so any reader prints it"
    # Each brochure is an export in the audit log.
    exports = Entry.objects.filter(action=AuditAction.EXPORT, object_type="parcels", object_id=str(plot.pk))
    assert exports.count() == 2 and exports.first().detail["kind"] == "brochure"


def test_what_the_caller_may_not_read_has_no_brochure_and_no_qr(client, city):
    hidden = make_record("parcels", city, city.inside(0), is_public=False)
    assert client.get(f"/brochure/parcels/{hidden.pk}.pdf").status_code == 404
    assert client.get(f"/brochure/parcels/{hidden.pk}/qr.svg").status_code == 404
    assert client.get("/brochure/field_points/1.pdf").status_code == 404
    client.force_login(city.users[Role.DISTRICT_OFFICER])
    assert client.get(f"/brochure/parcels/{hidden.pk}.pdf").status_code == 200


def test_the_share_qr_code_is_an_svg_of_the_records_link(client, city):
    park = city.park
    response = client.get(f"/brochure/parks/{park.pk}/qr.svg?lang=en")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<svg")


def test_the_contact_is_the_parks_published_officer_else_the_countys(city):
    county = city.counties[0]
    Division.objects.filter(pk=county.pk).update(
        investment_contact_name="李明", investment_contact_phone="0766-8888888"
    )
    outside = make_record("parcels", city, city.inside(0, 0.05, 0.05), is_public=True)
    inside = make_record("parcels", city, city.inside(0), is_public=True)
    assert inside.park_id == city.park.pk and outside.park_id is None
    assert investment_contact(inside).pk == county.pk, "the park publishes nobody yet"
    Park.objects.filter(pk=city.park.pk).update(investment_contact_name="王芳")
    inside.refresh_from_db()
    assert investment_contact(inside).investment_contact_name == "王芳"
    assert investment_contact(outside).investment_contact_name == "李明"
