package store

import (
	"context"
	"fmt"
	"testing"

	"hearth/internal/forum"
)

// BenchmarkAddNotifications: the notifications of replies as the consumer
// writes them (the thread's author told, the thread's watchers told), in
// batches of 50 events, on a forum of 8,000 members who have read and
// watch threads.
func BenchmarkAddNotifications(b *testing.B) {
	for _, engine := range []string{engineSQLite, enginePostgres} {
		b.Run(engine, func(b *testing.B) {
			db := openEngineBench(b, engine)
			ctx := context.Background()
			const members, threads = 8000, 4000
			seed(b, db, members, threads, 2)
			// Every member has read 20 threads; one in ten watches them.
			var rows []string
			for m := 1; m <= members; m++ {
				for k := 0; k < 20; k++ {
					level := 1
					if m%10 == 0 {
						level = 3
					}
					rows = append(rows, fmt.Sprintf("(%d, %d, %d, 1)", m, (m*7+k*131)%threads+1, level))
				}
				if len(rows) >= 2000 || m == members {
					q := "INSERT INTO thread_members (member_id, thread_id, level, last_read_position) VALUES " + join(rows) + " ON CONFLICT DO NOTHING"
					if _, err := db.write.ExecContext(ctx, q); err != nil {
						b.Fatal(err)
					}
					rows = rows[:0]
				}
			}
			event := int64(0)
			b.ResetTimer()
			for b.Loop() {
				var rs []forum.NotifyRequest
				for range 50 {
					event++
					th := event%threads + 1
					rs = append(rs, forum.NotifyRequest{EventID: 1_000_000 + event, ActorID: event%members + 1, CategoryID: 1,
						ThreadID: th, PostID: 1_000_000 + event, At: t0,
						Steps: []forum.NotifyStep{
							{Kind: forum.NotifyReply, Members: []int64{th%members + 1}},
							{Kind: forum.NotifyPost, Watchers: forum.WatchThread},
						}})
				}
				if _, err := db.AddNotifications(ctx, rs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*50)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func join(rows []string) string {
	s := rows[0]
	for _, r := range rows[1:] {
		s += ", " + r
	}
	return s
}
