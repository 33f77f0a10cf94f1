"""The admin user screen and the `flask users` commands."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditEntry, User, db
from tests.factories import DEFAULT_PASSWORD, make_user


@pytest.fixture
def admin(login):
    user = make_user(role="admin", email="admin@example.com")
    login(user)
    return user


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/staff/users"), ("post", "/staff/users/1/role"), ("post", "/staff/users/1/active")],
)
def test_only_admins_reach_the_user_screen(client, login, method, path):
    anonymous = getattr(client, method)(path)
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    for role in ("customer", "clinician", "staff"):
        login(make_user(role=role))
        assert getattr(client, method)(path, data={"role": "admin"}).status_code == 403, role


def test_list_filters_by_role_and_email(client, admin, count_queries):
    make_user(role="staff", email="sam@clinic.example")
    make_user(email="pat@example.com")
    html = client.get("/staff/users?role=staff").get_data(as_text=True)
    assert "sam@clinic.example" in html and "pat@example.com" not in html
    html = client.get("/staff/users?q=PAT@").get_data(as_text=True)
    assert "pat@example.com" in html and "sam@clinic.example" not in html
    html = client.get("/staff/users?q=%25").get_data(as_text=True)
    assert "0 accounts" in html


def test_bad_filters_are_ignored_with_a_message(client, admin):
    response = client.get("/staff/users?role=wizard&page=-1")
    assert response.status_code == 200
    assert "were not valid" in response.get_data(as_text=True)


def test_user_list_is_paginated_with_constant_queries(client, admin, count_queries):
    client.application.config["USERS_PER_PAGE"] = 3
    try:
        with count_queries() as few:
            client.get("/staff/users")
        for number in range(8):
            make_user(email=f"u{number}@example.com")
        with count_queries() as many:
            response = client.get("/staff/users?page=2")
        assert many.count == few.count
        assert 'aria-current="page">2<' in response.get_data(as_text=True)
    finally:
        client.application.config["USERS_PER_PAGE"] = 25


def test_admin_changes_a_role_with_an_audit_entry_and_the_user_signs_in_again(client, admin):
    user = make_user(email="pat@example.com")
    token = user.session_token
    response = client.post(f"/staff/users/{user.id}/role", data={"role": "clinician"})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.role == "clinician" and user.session_token != token
    entry = db.session.execute(select(AuditEntry)).scalar_one()
    assert (entry.action, entry.user_id, entry.target_id) == (
        "user.role_changed",
        admin.id,
        str(user.id),
    )
    assert entry.before == {"role": "customer"} and entry.after == {"role": "clinician"}


def test_unknown_role_is_a_400_and_changes_nothing(client, admin):
    user = make_user()
    assert client.post(f"/staff/users/{user.id}/role", data={"role": "wizard"}).status_code == 400
    db.session.refresh(user)
    assert user.role == "customer"


def test_changing_a_missing_user_is_a_404(client, admin):
    assert client.post("/staff/users/999999/role", data={"role": "staff"}).status_code == 404
    assert client.post("/staff/users/999999/active", data={"active": "0"}).status_code == 404


def test_admin_cannot_demote_or_deactivate_themselves(client, admin):
    response = client.post(f"/staff/users/{admin.id}/role", data={"role": "customer"})
    assert response.status_code == 409
    assert "You cannot change your own role" in response.get_data(as_text=True)
    response = client.post(f"/staff/users/{admin.id}/active", data={"active": "0"})
    assert response.status_code == 409
    db.session.refresh(admin)
    assert admin.role == "admin" and admin.active
    assert db.session.execute(select(AuditEntry)).first() is None


def test_deactivation_signs_the_user_out_and_reactivation_lets_them_back(app_ctx, client, admin):
    from tests.conftest import log_in

    user = make_user(email="pat@example.com")
    their_browser = app_ctx.test_client()
    log_in(their_browser, user)
    assert their_browser.get("/account").status_code == 200
    assert client.post(f"/staff/users/{user.id}/active", data={"active": "0"}).status_code == 303
    assert their_browser.get("/account").status_code == 302
    denied = their_browser.post(
        "/account/login", data={"email": "pat@example.com", "password": DEFAULT_PASSWORD}
    )
    assert denied.status_code == 403
    client.post(f"/staff/users/{user.id}/active", data={"active": "1"})
    allowed = their_browser.post(
        "/account/login", data={"email": "pat@example.com", "password": DEFAULT_PASSWORD}
    )
    assert allowed.status_code == 302
    actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert actions == ["user.deactivated", "user.activated"]


def test_audit_entries_hold_no_personal_or_health_data(client, admin):
    user = make_user(email="pat@example.com", name="Pat Patient")
    client.post(f"/staff/users/{user.id}/role", data={"role": "staff"})
    client.post(f"/staff/users/{user.id}/active", data={"active": "0"})
    for entry in db.session.execute(select(AuditEntry)).scalars():
        text = f"{entry.before} {entry.after}"
        assert "pat@example.com" not in text and "Pat Patient" not in text


# --- flask users ----------------------------------------------------------------------------


def test_users_create_makes_the_first_admin(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "Boss@Clinic.example", "--role", "admin"],
        input="Strong-admin-2026\nStrong-admin-2026\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User)).scalar_one()
    assert (user.email, user.role) == ("boss@clinic.example", "admin")
    assert "Strong-admin-2026" not in result.output


def test_users_create_refuses_weak_passwords_and_duplicates(runner):
    weak = runner.invoke(
        args=["users", "create", "--email", "a@clinic.example", "--password", "password1"]
    )
    assert weak.exit_code != 0 and "too common" in weak.output
    make_user(email="b@clinic.example")
    duplicate = runner.invoke(
        args=["users", "create", "--email", "B@clinic.example", "--password", "Strong-one-2026"]
    )
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    unknown = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "c@clinic.example",
            "--role",
            "wizard",
            "--password",
            "x",
        ]
    )
    assert unknown.exit_code == 2


def test_users_set_role(runner):
    user = make_user(email="jo@clinic.example")
    result = runner.invoke(
        args=["users", "set-role", "--email", "JO@clinic.example", "--role", "staff"]
    )
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.role == "staff"
    missing = runner.invoke(
        args=["users", "set-role", "--email", "no@x.example", "--role", "staff"]
    )
    assert missing.exit_code == 1 and "There is no account" in missing.output
