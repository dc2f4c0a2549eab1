"""Who is on which side of a live request: the taxpayer (their own portal, from the
session) or the firm's staff (any portal, from the URL)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from taxportal.api import (
    Principal,
    clients_of_portals,
    current_staff,
    current_taxpayer,
    page_language,
)

STAFF_PAGE = "/staff/messages/{portal_id}"


@dataclass(frozen=True)
class Seat:
    """The side, its portal, the language it reads, and who it is for the activity log."""

    side: str
    portal_id: int
    language: str
    principal: Principal


def taxpayer_seat(request: web.Request) -> Seat | None:
    """The signed-in taxpayer past the security code, on their own portal; else None."""
    taxpayer = current_taxpayer(request)
    if taxpayer is None or not taxpayer.verified:
        return None
    return Seat("taxpayer", taxpayer.portal_id, page_language(request), taxpayer.principal)


def staff_seat(request: web.Request) -> Seat | None:
    """A console user with both factors, on the portal the URL names; else None."""
    staff = current_staff(request)
    if staff is None:
        return None
    # the route's id was checked by the core (1 to the largest id) before this ran
    portal_id = int(request.match_info["portal_id"])
    return Seat("staff", portal_id, "en", staff.principal)  # the console is English


async def portal_exists(portal_id: int) -> bool:
    """A conversation the firm may open belongs to a portal that exists (one read)."""
    return portal_id in await clients_of_portals([portal_id])
