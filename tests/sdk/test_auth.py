"""The official Langfuse Python SDK authenticates against Sightline."""

import subprocess
import sys

import pytest
from langfuse import Langfuse
from langfuse.api.commons.errors.unauthorized_error import UnauthorizedError


def client(server, public_key, secret_key):
    return Langfuse(public_key=public_key, secret_key=secret_key, host=server.host)


def test_auth_check_succeeds_with_a_good_key_pair(server):
    project = server.projects[0]
    langfuse = client(server, project.public_key, project.secret_key)
    assert langfuse.auth_check() is True


AUTH_CHECK = """
import sys
from langfuse import Langfuse
from langfuse.api.commons.errors.unauthorized_error import UnauthorizedError
client = Langfuse(public_key=sys.argv[1], secret_key=sys.argv[2], host=sys.argv[3])
try:
    print(client.auth_check())
except UnauthorizedError as error:
    print(error.status_code, error.body["message"])
"""


def auth_check_in_fresh_process(server, public_key, secret_key):
    # The SDK keeps one client per public key in a process, so a second client with the same
    # public key and another secret would reuse the first one's credentials.
    result = subprocess.run([sys.executable, "-c", AUTH_CHECK, public_key, secret_key, server.host], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_auth_check_fails_with_a_bad_secret(server):
    project = server.projects[0]
    outcome = auth_check_in_fresh_process(server, project.public_key, "sk-lf-not-the-secret")
    assert outcome == "401 Invalid credentials. Confirm that you've configured the correct host."


def test_auth_check_fails_with_an_unknown_public_key(server):
    langfuse = client(server, "pk-lf-nobody", "sk-lf-nobody")
    with pytest.raises(UnauthorizedError):
        langfuse.auth_check()


def test_each_key_pair_sees_only_its_own_project(server):
    for project in server.projects:
        langfuse = client(server, project.public_key, project.secret_key)
        projects = langfuse.api.projects.get().data
        assert [p.id for p in projects] == [project.id]
        assert projects[0].organization.id == "sdk-org"
