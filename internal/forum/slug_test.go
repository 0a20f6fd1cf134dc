package forum

import "testing"

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Lisbon in March?", "lisbon-in-march"},
		{"  Café & Crème brûlée  ", "cafe-creme-brulee"},
		{"東京", "thread"},
		{"", "thread"},
		{"reply", "reply-1"},
		{"New", "new-1"},
		{"a--b__c", "a-b-c"},
		{"This is a very long title that goes on and on well past sixty characters for sure", "this-is-a-very-long-title-that-goes-on-and-on-well-past-sixt"},
	}
	for _, tt := range tests {
		if got := Slugify(tt.in); got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
