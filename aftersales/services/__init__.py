"""After-sales writes, one module per family: cases, sla, escalation, attachments, returns,
warranty, reviews, surveys (invitations and answers), intake (marketplace returns)."""
