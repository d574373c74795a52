"""Accounts and membership views. Thin: access helper -> form -> service -> redirect."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import dateformat, timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from lms.access import (
    can_manage_roles,
    get_data_export_for_owner,
    get_invitation_for_staff,
    get_member,
    get_membership_for_org_admin,
    get_organisation_for_member,
    get_organisation_for_role,
    roles_person_may_invite,
)
from lms.confirm import Confirmation, confirm_page, confirmed
from lms.forms import (
    AddRoleForm,
    InvitationAcceptForm,
    InviteForm,
    LoginForm,
    PasswordResetRequestForm,
    PrivacyContactForm,
    ProfileForm,
    add_service_errors,
)
from lms.models import Role, User
from lms.queue import enqueue
from lms.selectors import (
    data_exports_for_user,
    erasures_scheduled_for,
    members_of_organisation,
    open_invitations_for_organisation,
    people_who_left,
    privacy_contacts_for,
    record_sharing_for,
    roles_ended_today,
    roles_for_user,
)
from lms.services import (
    InvitationLinkError,
    data_export_downloaded,
    data_export_request,
    history_share_end,
    history_share_start,
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_resend,
    invitation_withdraw,
    membership_add,
    membership_end,
    membership_restore,
    organisation_privacy_contact_save,
    user_update_profile,
)
from lms.signin import (
    account_unlock,
    invitation_attempt_allowed,
    locked_out_emails,
    password_reset_account_allowed,
    password_reset_allowed,
)
from lms.submissions import once_per_submission
from lms.two_factor.selectors import has_two_factor
from lms.two_factor.signin import pending_clear, pending_start
from lms.uploads import private_file_response

MEMBERS_PER_PAGE = 50
TOO_MANY_INVITATION_ATTEMPTS = (
    "Too many attempts. For your safety, please wait an hour and try again."
)


# --- Signing in and out -----------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """The one sign-in page, for the site and the Wagtail admin. For someone with two-factor
    sign-in, a right password leads to the code step (`lms.two_factor.views.login_code`), not
    yet to being signed in."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        pending_clear(self.request)  # an earlier, unfinished sign-in in this browser
        if not has_two_factor(user=user):
            return super().form_valid(form)
        pending_start(self.request, user=user, next_url=self.get_success_url())
        return redirect("lms:login-code")


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


def password_reset_request(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        allowed = password_reset_allowed(request, email)  # counted for every address alike
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is not None and allowed and password_reset_account_allowed(user):
            enqueue("lms.tasks.send_password_reset_email", user.pk)
        # The same page whether or not the address has an account, and whether or not a limit
        # held the email back.
        return redirect("lms:password-reset-done")
    return render(request, "registration/password_reset_form.html", {"form": form})


def password_reset_done(request):
    return render(request, "registration/password_reset_done.html")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("lms:password-reset-complete")

    def form_valid(self, form):
        # The link proved they own the address, so a pause on signing in is lifted.
        account_unlock(user=form.user, by=form.user, reason="password_reset")
        return super().form_valid(form)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("lms:account")

    def form_valid(self, form):
        messages.success(self.request, "Your password has been changed.")
        return super().form_valid(form)


# --- Your account -----------------------------------------------------------------------------


@login_required
def account(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user_update_profile(
            user=request.user,
            display_name=form.cleaned_data["display_name"],
            pronouns=form.cleaned_data["pronouns"],
        )
        messages.success(request, "Your details have been saved.")
        return redirect("lms:account")
    return render(
        request,
        "lms/account.html",
        {
            "form": form,
            "record_sharing": record_sharing_for(user=request.user),
            "data_exports": data_exports_for_user(user=request.user),
            "data_export_valid_days": settings.DATA_EXPORT_VALID_DAYS,
        },
    )


@login_required
@require_POST
def history_share_view(request, slug):
    """The person shares their earlier history with one of their organisations, or stops."""
    organisation = get_organisation_for_member(user=request.user, slug=slug)
    if request.POST.get("share") == "yes":
        history_share_start(user=request.user, organisation=organisation)
        messages.success(
            request, f"{organisation} can now see what you did before you joined them."
        )
    else:
        history_share_end(user=request.user, organisation=organisation)
        messages.success(
            request,
            f"{organisation} now sees only what you have done since you joined them.",
        )
    return redirect(f"{reverse('lms:account')}#record-sharing")


@login_required
@require_POST
def data_export_request_view(request):
    """Download my data: ask once; asking again while it is being prepared changes nothing."""
    export, created = data_export_request(user=request.user)
    if created:
        messages.success(
            request,
            "We are gathering your data. We will email you when it is ready to download, "
            "usually within a few minutes.",
        )
    else:
        messages.info(
            request,
            f"You asked for your data at {_moment(export.requested_at)}. We are still gathering "
            "it and will email you when it is ready.",
        )
    return redirect(f"{reverse('lms:account')}#your-data")


def _moment(value) -> str:
    return dateformat.format(timezone.localtime(value), r"H:i \o\n j F Y")


@login_required
def data_export_download(request, pk):
    export = get_data_export_for_owner(user=request.user, pk=pk)
    if export.status != export.READY:
        raise Http404("This download is not ready.")
    if not export.can_download:
        return render(request, "lms/data_export_expired.html", status=410)
    data_export_downloaded(export=export)
    filename = f"peer-pathways-my-data-{export.ready_at:%Y-%m-%d}.zip"
    return private_file_response(export.file, filename=filename, content_type="application/zip")


# --- Invitations ------------------------------------------------------------------------------


@never_cache  # shows the invitee's email to someone not yet signed in
def invitation_accept_view(request, token):
    try:
        invitation = invitation_from_token(token=token)
    except InvitationLinkError as error:
        return render(
            request,
            "lms/invitation_unusable.html",
            {"reason": error.reason, "invitation": error.invitation},
            status=410,
        )

    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        return _accept_as_existing_user(request, invitation, existing)

    form = InvitationAcceptForm(
        request.POST or None,
        invitation=invitation,
        initial={"display_name": invitation.display_name},
    )
    if request.method == "POST" and not invitation_attempt_allowed(request, invitation):
        form.is_valid()  # show any other problems too; what was typed is kept
        form.add_error(None, TOO_MANY_INVITATION_ATTEMPTS)
    elif request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                invitation=invitation,
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password1"],
            )
        except InvitationLinkError as error:
            return render(
                request,
                "lms/invitation_unusable.html",
                {"reason": error.reason, "invitation": invitation},
                status=410,
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, f"Welcome to Peer Pathways. You have joined {invitation.organisation}."
        )
        return redirect("/")
    return render(request, "lms/invitation_accept.html", {"form": form, "invitation": invitation})


def _accept_as_existing_user(request, invitation, existing):
    """Someone who already has an account joins by signing in as themselves and confirming."""
    if not request.user.is_authenticated or request.user.pk != existing.pk:
        return render(request, "lms/invitation_sign_in.html", {"invitation": invitation})
    if request.method == "POST":
        try:
            invitation_accept(
                invitation=invitation,
                user=request.user,
                share_history=request.POST.get("share_history") == "yes",
            )
        except InvitationLinkError as error:
            return render(
                request,
                "lms/invitation_unusable.html",
                {"reason": error.reason, "invitation": invitation},
                status=410,
            )
        messages.success(request, f"You have joined {invitation.organisation}.")
        return redirect("/")
    return render(
        request,
        "lms/invitation_confirm.html",
        {"invitation": invitation, "current": roles_for_user(user=request.user)},
    )


@login_required
def members(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    search = request.GET.get("q", "").strip()
    page = Paginator(
        members_of_organisation(organisation=organisation, search=search), MEMBERS_PER_PAGE
    ).get_page(request.GET.get("page"))
    may_erase = can_manage_roles(user=request.user, organisation=organisation)
    return render(
        request,
        "lms/members.html",
        {
            "organisation": organisation,
            "page": page,
            "search": search,
            "search_query": urlencode({"q": search}) if search else "",
            "invitations": open_invitations_for_organisation(organisation=organisation),
            "can_manage_roles": can_manage_roles(user=request.user, organisation=organisation),
            "add_role_form": AddRoleForm(),
            # Erasure is for org admins only (docs/privacy.md, "Erasure").
            "erasures": erasures_scheduled_for(organisation=organisation) if may_erase else [],
            "people_who_left": people_who_left(organisation=organisation) if may_erase else [],
            "locked_emails": locked_out_emails(emails=[person.email for person in page]),
            "roles_ended_today": (
                roles_ended_today(organisation=organisation) if may_erase else []
            ),
        },
    )


@login_required
@once_per_submission
def invite(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    roles = roles_person_may_invite(user=request.user, organisation=organisation)
    form = InviteForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_create(
                organisation=organisation, invited_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("lms:members", slug=organisation.slug)
    return render(
        request,
        "lms/invite.html",
        {
            "organisation": organisation,
            "form": form,
            "invitation_valid_days": settings.INVITATION_VALID_DAYS,
        },
    )


@login_required
@require_POST
@once_per_submission
def invitation_resend_view(request, slug, pk):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    invitation = get_invitation_for_staff(
        organisation=organisation,
        pk=pk,
        roles=roles_person_may_invite(user=request.user, organisation=organisation),
    )
    try:
        invitation_resend(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            f"Invitation sent again to {invitation.email}. The earlier link no longer works.",
        )
    return redirect("lms:members", slug=organisation.slug)


@login_required
def invitation_withdraw_view(request, slug, pk):
    organisation = get_organisation_for_role(user=request.user, slug=slug)
    invitation = get_invitation_for_staff(
        organisation=organisation,
        pk=pk,
        roles=roles_person_may_invite(user=request.user, organisation=organisation),
    )
    if not invitation.is_accepted and not confirmed(request):
        return confirm_page(
            request,
            Confirmation(
                title=f"Withdraw the invitation to {invitation.email}?",
                happens=[
                    f"The link sent to {invitation.email} to join {organisation} as a "
                    f"{invitation.get_role_display().lower()} stops working at once.",
                    "They are not told. Nothing else changes.",
                ],
                undo="This cannot be undone: to change your mind, invite them again.",
                button="Withdraw the invitation",
                cancel_url=reverse("lms:members", args=[organisation.slug]),
                cancel_label="No, keep the invitation",
            ),
        )
    try:
        invitation_withdraw(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("lms:members", slug=organisation.slug)


@login_required
@require_POST
def membership_add_view(request, slug, user_id):
    organisation = get_organisation_for_role(user=request.user, slug=slug, roles={Role.ORG_ADMIN})
    person = get_member(organisation=organisation, user_id=user_id)
    form = AddRoleForm(request.POST)
    if form.is_valid():
        membership_add(
            organisation=organisation, user=person, role=form.cleaned_data["role"], by=request.user
        )
        role_label = Role(form.cleaned_data["role"]).label.lower()
        messages.success(request, f"{person} is now also a {role_label}.")
    else:
        messages.error(request, "Choose a role to add.")
    return redirect(reverse("lms:members", args=[organisation.slug]) + f"#member-{person.pk}")


@login_required
def membership_end_view(request, slug, pk):
    organisation = get_organisation_for_role(user=request.user, slug=slug, roles={Role.ORG_ADMIN})
    membership = get_membership_for_org_admin(organisation=organisation, pk=pk)
    members_url = reverse("lms:members", args=[organisation.slug])
    role = membership.get_role_display().lower()
    started_today = membership.active_from >= timezone.localdate()
    if not confirmed(request):
        person = membership.user
        return confirm_page(
            request,
            Confirmation(
                title=f"End {person}'s {role} role at {organisation}?",
                happens=[
                    f"From today {person} is no longer a {role} here.",
                    f"If it is their last role here, they are signed out and can no longer "
                    f"open {organisation}'s pages.",
                    "Their records stay: roles end, history is kept.",
                ],
                undo=(
                    "The role was added today, so it is removed altogether. If this is a "
                    "mistake, add it again from the people page."
                    if started_today
                    else "You can undo this from the people page until the end of today."
                ),
                button=f"End the {role} role",
                cancel_url=f"{members_url}#member-{person.pk}",
                cancel_label="No, keep the role",
            ),
        )
    try:
        membership_end(membership=membership, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        undo = "" if started_today else " You can undo this below until the end of today."
        messages.success(request, f"{membership.user} is no longer a {role} here.{undo}")
    return redirect(f"{members_url}#member-{membership.user_id}")


@login_required
@require_POST
def membership_restore_view(request, slug, pk):
    """Undo ending a role, on the day it ended: org admins of the organisation only."""
    organisation = get_organisation_for_role(user=request.user, slug=slug, roles={Role.ORG_ADMIN})
    membership = get_object_or_404(roles_ended_today(organisation=organisation), pk=pk)
    try:
        membership_restore(membership=membership, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        role = membership.get_role_display().lower()
        messages.success(request, f"{membership.user} is a {role} here again.")
    members_url = reverse("lms:members", args=[organisation.slug])
    return redirect(f"{members_url}#member-{membership.user_id}")


# --- The privacy notice -----------------------------------------------------------------------


def privacy_notice(request):
    """Public: what is held, why, who sees it, how long, and whom to ask."""
    return render(
        request,
        "lms/privacy_notice.html",
        {
            "contacts": privacy_contacts_for(user=request.user),
            "invitation_retention_days": settings.INVITATION_RETENTION_DAYS,
            "request_retention_days": settings.MENTOR_REQUEST_RETENTION_DAYS,
            "pause_note_retention_days": settings.PAUSE_NOTE_RETENTION_DAYS,
            # Set by the erasure work (ErasureRequest); 30 days until it names its own.
            "erasure_grace_days": getattr(settings, "ERASURE_GRACE_DAYS", 30),
        },
    )


@login_required
def privacy_contact(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug, roles={Role.ORG_ADMIN})
    form = PrivacyContactForm(
        request.POST or None, initial={"privacy_contact": organisation.privacy_contact}
    )
    if request.method == "POST" and form.is_valid():
        try:
            organisation_privacy_contact_save(
                organisation=organisation,
                by=request.user,
                text=form.cleaned_data["privacy_contact"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your privacy contact details are saved.")
            return redirect("lms:privacy-contact", slug=organisation.slug)
    return render(
        request, "lms/privacy_contact_form.html", {"form": form, "organisation": organisation}
    )


@never_cache
@require_safe
def healthz(request):
    """For load balancers and the benchmark's baseline: the process is up and answering.
    Deliberately touches no database and no cache, so it is the cheapest page the project
    serves, and a slow database never takes a web node out of rotation."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
