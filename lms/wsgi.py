import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
application = get_wsgi_application()

# Everything loaded so far lives as long as the process. Moving it out of the garbage
# collector's view means a request that builds many short-lived objects (the readiness page
# for thousands of people) no longer pays to re-scan the whole of Django and Wagtail.
gc.freeze()
