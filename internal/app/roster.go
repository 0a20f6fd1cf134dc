package app

import (
	"context"

	"hearth/internal/forum"
	"hearth/internal/roster"
	"hearth/internal/store"
)

// RosterConsumer is the member roster's consumer of the event stream
// (internal/roster), for serve and `hearth roster rebuild`: unsubscribe
// links are made with the site's mail secret while the database is up.
func RosterConsumer(c Config, db *store.DB, svc *forum.Service, key []byte) *roster.Consumer {
	return &roster.Consumer{
		Store: db, DataDir: c.DataDir, Key: key, Site: c.SiteName, BaseURL: c.BaseURL, Log: c.Log,
		Token: func(ctx context.Context, id int64) (string, error) {
			return svc.MailToken(ctx, forum.TokenUnsubscribe, id, roster.List)
		},
	}
}
