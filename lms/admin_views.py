"""Wagtail admin pieces for the kernel: user forms for our user model, a read-only audit log."""

from django import forms
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from lms.models import AuditEvent, Membership, Organisation, User

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


class UserViewSet(WagtailUserViewSet):
    def get_form_class(self, for_update=False):
        return AdminUserEditForm if for_update else AdminUserCreationForm


class OrganisationViewSet(ModelViewSet):
    model = Organisation
    icon = "group"
    menu_label = "Organisations"
    add_to_admin_menu = True
    menu_order = 900
    form_fields = ["name", "slug"]
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name"]


class MembershipViewSet(ModelViewSet):
    model = Membership
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


class AuditEventViewSet(ModelViewSet):
    model = AuditEvent
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
