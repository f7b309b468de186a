"""The messages an invitation sends: the invite itself (email, and a text when a cell number is given) in
the chosen language, and the staff's notices (made, accepted)."""

from __future__ import annotations

from domain.invitations.model import Direction, Invitation
from domain.notifications.model import About, Channel, Message, MessageKind, Recipient


def invite_path(invitation: Invitation) -> str:
    """Where the link in the invite leads on the frontend (``/invite/provider/…`` or ``/invite/family/…``)."""
    audience = "provider" if invitation.direction is Direction.FAMILY_INVITES_PROVIDER else "family"
    return f"/invite/{audience}/{invitation.token}"


def invite_messages(invitation: Invitation, inviter_name: str, child_names: list[str]) -> list[Message]:
    kind = (
        MessageKind.PROVIDER_INVITED
        if invitation.direction is Direction.FAMILY_INVITES_PROVIDER
        else MessageKind.FAMILY_INVITED
    )
    cause = f"invitation:{invitation.token}"
    about = About("invitation", str(invitation.id))
    data = {"inviter_name": inviter_name, "children": child_names, "path": invite_path(invitation)}
    recipient = Recipient(invitation.email, invitation.language)
    messages = [Message(kind, recipient, cause, about, data)]
    if invitation.cell:
        texted = Recipient(invitation.cell, invitation.language)
        messages.append(Message(kind, texted, cause, about, data, channel=Channel.SMS))
    notice = {
        "direction": invitation.direction.value,
        "inviter_name": inviter_name,
        "invited_email": invitation.email,
        "family_id": invitation.family_id,
        "provider_id": invitation.provider_id,
        "children": ", ".join(child_names),
    }
    messages.append(Message(MessageKind.STAFF_INVITATION_MADE, Recipient.staff(), cause, about, notice))
    return messages


def accepted_notice(invitation: Invitation, linked: list[str], not_linked: list[str]) -> Message:
    return Message(
        MessageKind.STAFF_INVITATION_ACCEPTED,
        Recipient.staff(),
        f"invitation-accepted:{invitation.token}",
        About("invitation", str(invitation.id)),
        {
            "direction": invitation.direction.value,
            "family_id": invitation.family_id,
            "provider_id": invitation.provider_id,
            "linked_children": ", ".join(linked) or "none",
            "not_linked_children": ", ".join(not_linked) or "none",
        },
    )
