from wagtail.admin.forms import WagtailAdminModelForm

from lms.models import Organisation
from pathways.admin_policies import admin_organisation_ids


class PathwayAdminForm(WagtailAdminModelForm):
    """Organisation admins choose only among their own organisations; a shared pathway (no
    organisation) is for superusers to make."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if for_user is not None and not for_user.is_superuser:
            field = self.fields["organisation"]
            field.queryset = Organisation.objects.filter(pk__in=admin_organisation_ids(for_user))
            field.required = True
            field.empty_label = None
