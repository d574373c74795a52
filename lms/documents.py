"""Documents and images: served or listed only where their use makes them public.

Serving (`/documents/<id>/<name>`): a document is public once a live, public page uses it, and
only then. One uploaded for a course still in draft is answered 404 to everyone except the
people who may work on documents in the admin (editors and site administrators), who need to
check it. Wagtail's reference index says which pages use a document, so the rule follows a
page's publication and needs no flag of its own. The check runs in Wagtail's own
`before_serve_document` hook, and `WAGTAILDOCS_SERVE_METHOD = "serve_view"` keeps every
download going through it.

Images are not covered by this: Wagtail hands out image files (originals and renditions)
straight from MEDIA_URL with no view to check. Images here are placed only by editors in
course pages and carry no learner data; keep confidential material out of images.

The admin API (`/admin/api/main/documents/`, `.../images/`) lists every document and image to
anyone who may open the admin; the endpoints below list only the ones this person may choose or
change, which for an organisation admin is none.
"""

from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from wagtail.documents import get_document_model
from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet
from wagtail.models import Page, ReferenceIndex
from wagtail.permissions import policy_registry

# Having either of these on a document's collection means working on the site's documents.
WORK_ACTIONS = ["choose", "change"]


def _works_on(model, user) -> bool:
    return user.is_active and policy_registry.get_by_type(model).user_has_any_permission(
        user, WORK_ACTIONS
    )


def _publicly_reachable(page: Page) -> bool:
    """No unpublished page above it (Wagtail would still route to it, but it is not yet
    published content)."""
    return not page.get_ancestors().filter(depth__gt=1, live=False).exists()


def document_is_public(document) -> bool:
    """Used by at least one live, public page whose ancestors are all published."""
    page_type = ContentType.objects.get_for_model(Page)
    page_ids = (
        ReferenceIndex.get_references_to(document)
        .filter(base_content_type=page_type)
        .values_list("object_id", flat=True)
    )
    pages = Page.objects.live().public().filter(pk__in=[int(pk) for pk in page_ids])
    return any(_publicly_reachable(page) for page in pages)


def refuse_unpublished_document(document, request):
    """The `before_serve_document` hook: 404, as if the document did not exist."""
    if _works_on(get_document_model(), request.user):
        return None
    if not document_is_public(document):
        raise Http404("No such document.")
    return None


def _choosable(model, user):
    return policy_registry.get_by_type(model).instances_user_has_any_permission_for(
        user, WORK_ACTIONS
    )


class ScopedDocumentsAdminAPIViewSet(DocumentsAdminAPIViewSet):
    def get_queryset(self):
        return _choosable(self.model, self.request.user).order_by("id")


class ScopedImagesAdminAPIViewSet(ImagesAdminAPIViewSet):
    def get_queryset(self):
        return _choosable(self.model, self.request.user).order_by("id")


def scope_admin_api(router):
    """The `construct_admin_api` hook; must run after Wagtail's, which it replaces."""
    router.register_endpoint("documents", ScopedDocumentsAdminAPIViewSet)
    router.register_endpoint("images", ScopedImagesAdminAPIViewSet)
