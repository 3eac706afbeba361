package db

import "slices"

// EventTypes is the catalogue of every type of event Roster writes, in the
// order the OpenAPI document and the console list them. Each is also a
// webhook event type. record refuses a type missing here, so a new kind
// of change cannot be written without being listed.
var EventTypes = []string{
	"account.created",
	"account.updated",
	"account.deleted",
	"account.ownership_transferred",
	"membership.created",
	"membership.updated",
	"membership.deleted",
	"membership.deactivated",
	"membership.reactivated",
	"membership.expiring",
	"membership.expired",
	"invitation.sent",
	"invitation.accepted",
	"invitation.revoked",
	"role.created",
	"role.updated",
	"role.deleted",
	"permission.created",
	"permission.deleted",
	"workspace_membership.created",
	"workspace_membership.updated",
	"workspace_membership.deleted",
	"api_key.created",
	"api_key.rolled",
	"api_key.revoked",
	"webhook_endpoint.created",
	"webhook_endpoint.updated",
	"webhook_endpoint.deleted",
	"webhook_endpoint.disabled",
	"webhook_endpoint.test",
	"domain.created",
	"domain.updated",
	"domain.verified",
	"domain.deleted",
}

// KnownEventType reports whether t is in the catalogue.
func KnownEventType(t string) bool {
	return slices.Contains(EventTypes, t)
}
