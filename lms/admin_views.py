"""Wagtail admin pieces for the kernel: user forms for our user model, a read-only audit log."""

from django import forms
from django.db import transaction
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views import users as wagtail_user_views
from wagtail.users.views.bulk_actions.delete import DeleteBulkAction
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from lms.models import AuditEvent, Membership, Organisation, User
from lms.records import describe_records, records_blocking_delete, refuse_delete
from lms.services import audit_record

_USER_FIELDS = ["email", "display_name", "pronouns", "is_superuser", "groups"]


class AdminUserCreationForm(UserCreationForm):
    first_name = None
    last_name = None

    class Meta(UserCreationForm.Meta):
        model = User
        fields = _USER_FIELDS
        widgets = {"groups": forms.CheckboxSelectMultiple}


class AdminUserEditForm(UserEditForm):
    first_name = None
    last_name = None

    class Meta(UserEditForm.Meta):
        model = User
        fields = [*_USER_FIELDS, "is_active"]
        widgets = {"groups": forms.CheckboxSelectMultiple}


def _access(user: User | None) -> dict:
    """What a person may do in the admin: the superuser flag and their groups (e.g. Editors)."""
    if user is None or user.pk is None:
        return {"superuser": False, "groups": []}
    return {
        "superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("pk", flat=True)),
    }


def _audit_access_change(request, user: User, before: dict) -> None:
    """Making someone a superuser or an editor is a role change: one audit event, ids only."""
    after = _access(user)
    if after != before:
        audit_record(
            actor=request.user,
            action="user.access_changed",
            subject=user,
            subject_user=user,
            detail={"before": before, "after": after},
        )


class AuditedUserCreateView(wagtail_user_views.CreateView):
    @transaction.atomic
    def save_instance(self):
        user = super().save_instance()
        _audit_access_change(self.request, user, _access(None))
        return user


class AuditedUserEditView(wagtail_user_views.EditView):
    @transaction.atomic
    def save_instance(self):
        before = _access(User.objects.get(pk=self.object.pk))
        user = super().save_instance()
        _audit_access_change(self.request, user, before)
        return user


# Deleting a person who has records would delete other people's too (a mentee's sessions go
# with their mentor's mentorship) and leave files on disk: such people are erased instead.
REFUSE_DELETE = (
    "{person} has records here, so deleting the account would also delete other people's "
    "records. Erase their data instead: an admin of their organisation can from its people "
    'page, or run: manage.py erase_person EMAIL --reason "…"'
)


def has_records(user: User) -> bool:
    """Whether anything kept as history depends on the person: a role they held, an audit
    event, a mentorship, a decision (every such record PROTECTs the account)."""
    return bool(records_blocking_delete(user))


def _refuse_user_delete(request, person: User):
    blocking = records_blocking_delete(person)
    return refuse_delete(
        request,
        f"{REFUSE_DELETE.format(person=person)} Kept with the account: "
        f"{describe_records(blocking)}.",
        "wagtailusers_users:edit",
        person.pk,
    )


class UserDeleteView(wagtail_user_views.DeleteView):
    def dispatch(self, request, *args, **kwargs):
        person = self.get_object()
        if has_records(person):
            return _refuse_user_delete(request, person)
        return super().dispatch(request, *args, **kwargs)


class UserDeleteBulkAction(DeleteBulkAction):
    """The bulk delete, refusing people with records (listed as ones it cannot delete)."""

    def check_perm(self, obj):
        return super().check_perm(obj) and not has_records(obj)


class UserViewSet(WagtailUserViewSet):
    add_view_class = AuditedUserCreateView
    edit_view_class = AuditedUserEditView
    delete_view_class = UserDeleteView

    def get_form_class(self, for_update=False):
        return AdminUserEditForm if for_update else AdminUserCreationForm


REFUSE_ORGANISATION_DELETE = (
    "{organisation} cannot be deleted: people's records belong to it ({records}). Deleting it "
    "would delete them too. End its people's roles instead; erase a person who has left from "
    "its people page."
)


class OrganisationDeleteView(generic.DeleteView):
    """Refused, before the confirmation page, while any record depends on the organisation:
    the page never counts references and then cascades."""

    def dispatch(self, request, *args, **kwargs):
        blocking = records_blocking_delete(self.object)
        if blocking:
            message = REFUSE_ORGANISATION_DELETE.format(
                organisation=self.object, records=describe_records(blocking)
            )
            return refuse_delete(request, message, "organisations:edit", self.object.pk)
        return super().dispatch(request, *args, **kwargs)


class OrganisationViewSet(ModelViewSet):
    model = Organisation
    delete_view_class = OrganisationDeleteView
    icon = "group"
    menu_label = "Organisations"
    add_to_admin_menu = True
    menu_order = 900
    form_fields = ["name", "slug"]
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name"]


def _audit_membership(request, membership: Membership, action: str) -> None:
    audit_record(
        actor=request.user,
        action=action,
        subject=membership,
        subject_user=membership.user,
        organisation=membership.organisation,
        detail={"role": membership.role, "where": "admin"},
    )


class MembershipCreateView(generic.CreateView):
    @transaction.atomic
    def save_instance(self):
        membership = super().save_instance()
        _audit_membership(self.request, membership, "membership.added")
        return membership


class MembershipEditView(generic.EditView):
    @transaction.atomic
    def save_instance(self):
        membership = super().save_instance()
        _audit_membership(self.request, membership, "membership.changed")
        return membership


class MembershipDeleteView(generic.DeleteView):
    @transaction.atomic
    def delete_action(self):
        # Written first, while the row (and so its id) still exists.
        _audit_membership(self.request, self.object, "membership.deleted")
        super().delete_action()


class MembershipViewSet(ModelViewSet):
    model = Membership
    add_view_class = MembershipCreateView
    edit_view_class = MembershipEditView
    delete_view_class = MembershipDeleteView
    icon = "user"
    menu_label = "Memberships"
    add_to_admin_menu = True
    menu_order = 910
    form_fields = ["user", "organisation", "role", "active_from", "active_to"]
    list_display = ["user", "organisation", "role", "active_from", "active_to"]
    list_filter = ["organisation", "role"]
    search_fields = ["user__display_name", "user__email"]

    def get_queryset(self, request):
        return Membership.objects.select_related("user", "organisation")


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Lets people with the view permission (and superusers) read; nobody may change a row."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)


class AuditEventIndexView(generic.IndexView):
    """Reading the log in the admin is audited like reading it in the product."""

    def get(self, request, *args, **kwargs):
        audit_record(actor=request.user, action="audit.log.read", detail={"where": "admin"})
        return super().get(request, *args, **kwargs)


class AuditEventInspectView(generic.InspectView):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        audit_record(
            actor=request.user,
            action="audit.log.read",
            subject=self.object,
            detail={"where": "admin"},
        )
        return response


class AuditEventViewSet(ModelViewSet):
    model = AuditEvent
    index_view_class = AuditEventIndexView
    inspect_view_class = AuditEventInspectView
    icon = "history"
    menu_label = "Audit log"
    add_to_admin_menu = True
    menu_order = 920
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["action"]  # never used: the policy allows no add or edit
    list_display = ["created_at", "actor", "action", "subject_type", "subject_id", "organisation"]
    list_filter = ["action", "organisation"]

    def get_queryset(self, request):
        return AuditEvent.objects.select_related("actor", "organisation")
