"""``/api/editing/``: the park manager's editor and the changesets' review (issue 17)."""

from django.urls import path

from . import api

app_name = "editing"

urlpatterns = [
    path("working/", api.WorkingView.as_view(), name="working"),
    path("edits/", api.EditsView.as_view(), name="edits"),
    path("split/", api.SplitView.as_view(), name="split"),
    path("merge/", api.MergeView.as_view(), name="merge"),
    path("changesets/", api.ChangesetListView.as_view(), name="changesets"),
    path("changesets/<int:id>/", api.ChangesetDetailView.as_view(), name="changeset"),
    path("changesets/<int:id>/submit/", api.SubmitView.as_view(), name="submit"),
    path("changesets/<int:id>/approve/", api.ApproveView.as_view(), name="approve"),
    path("changesets/<int:id>/return/", api.ReturnView.as_view(), name="return"),
    path("changesets/<int:id>/items/<int:item_id>/", api.ItemView.as_view(), name="item"),
]
