package web_test

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkCategoryPageMember is a category page of 30 threads for a
// member who has read some of them, others have replies since and some
// are new: the markers' one query for the page's threads included.
func BenchmarkCategoryPageMember(b *testing.B) {
	f := newBenchForum(b)
	ctx := context.Background()
	svc := f.app.Service
	for i := range 40 {
		t, _, err := svc.CreateThread(ctx, f.members[i%4+1], newBenchThread(f.catID, fmt.Sprintf("Thread number %d", i)))
		if err != nil {
			b.Fatal(err)
		}
		if i%3 != 0 { // read two of three, then a reply makes half of those unread
			svc.Viewed(f.reader, t.ID, 1)
			if i%2 == 0 {
				if _, err := svc.Reply(ctx, f.members[i%4+1], t.ID, benchPost, 0); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	if err := svc.FlushReads(ctx); err != nil {
		b.Fatal(err)
	}
	benchGet(b, f.handler, f.catURL, f.cookie, "", "unread</a>")
}

// BenchmarkFrontPageMemberUnread is the front page with the member's
// counts of new and unread threads.
func BenchmarkFrontPageMemberUnread(b *testing.B) {
	f := newBenchForum(b)
	benchGet(b, f.handler, "/", f.cookie, "", "new</span>")
}

func BenchmarkCategoryPageMemberSmall(b *testing.B) {
	f := newBenchForum(b)
	benchGet(b, f.handler, f.catURL, f.cookie, "", "Lisbon")
}
