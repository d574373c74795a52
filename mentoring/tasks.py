"""Background tasks for mentoring. Queue them with `lms.queue.enqueue`; each takes ids and does
nothing the second time. Request expiry also runs from a django-q2 schedule (made by a
migration)."""

# --- Requests and mentorships (pairing) -------------------------------------------------------


# --- Concerns (care) --------------------------------------------------------------------------
