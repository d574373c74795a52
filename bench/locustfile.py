"""Three journeys for `make load` (bench/load.py starts locust with this file; it is not meant to
be run against anything but the loopback node that script starts).

Each simulated person walks their own list of pages, prepared by bench/load.py from the
generated population and signed in through a session made for them in the database
(`LOAD_PEOPLE_FILE`):

- a peer working through a course: home, the course page, each module page in turn with
  "I have finished this module" after it, then their pathway;
- a coordinator reading the readiness page, the people list and learning records;
- a mentor or trainee on the mentoring pages: mentoring home, the mentorship, its sessions, and
  for a trainee the mentor shortlist.

Every page must answer 200 (a finish, 302 back to the module); anything else, a redirect to
sign in included, is counted as an error.
"""

import itertools
import json
import os

from locust import HttpUser, between, task

with open(os.environ["LOAD_PEOPLE_FILE"]) as people_file:
    PEOPLE = json.load(people_file)
_NEXT_PERSON = {kind: itertools.count() for kind in PEOPLE}
# The nodes believe the load balancer's word that the browser used HTTPS, as in production.
BALANCER_HEADERS = {"X-Forwarded-Proto": "https"}


class Journey(HttpUser):
    abstract = True
    wait_time = between(1, 3)  # a person reads a page before the next
    kind = ""

    def on_start(self):
        pool = PEOPLE[self.kind]
        self.person = pool[next(_NEXT_PERSON[self.kind]) % len(pool)]
        self.steps = itertools.cycle(self.person["steps"])
        # Set by hand: the session and CSRF cookies are `Secure`, and this is plain HTTP.
        cookies = f"sessionid={self.person['session']}; csrftoken={self.person['csrf']}"
        self.client.headers.update(
            {**BALANCER_HEADERS, "Cookie": cookies, "Referer": f"https://{self._host()}/"}
        )

    def _host(self) -> str:
        return self.host.split("://", 1)[-1].rstrip("/")

    @task
    def next_step(self):
        name, method, url = next(self.steps)
        expected = 302 if method == "POST" else 200
        data = {"csrfmiddlewaretoken": self.person["csrf"]} if method == "POST" else None
        with self.client.request(
            method, url, name=name, data=data, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expected:
                where = response.headers.get("Location", "")
                response.failure(f"{response.status_code} {where}".strip())


class Peer(Journey):
    kind = "peer"
    weight = 7


class Coordinator(Journey):
    kind = "coordinator"
    fixed_count = 5


class MentoringPerson(Journey):
    kind = "mentoring"
    fixed_count = 10
