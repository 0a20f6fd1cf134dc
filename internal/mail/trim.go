package mail

import (
	"regexp"
	"strings"
)

// TrimReply keeps what a member wrote in a reply by mail and drops what
// their mail program added: the quoted mail ("> " lines), the line that
// introduces it ("On … wrote:" and its equivalents, also split over two
// lines as Gmail does), forwarded and Outlook header blocks, and the
// signature ("-- ", "Sent from my iPhone", …). Each line is classified
// and the text is cut at the first line that starts what was added, as
// Discourse's email_reply_trimmer does.
func TrimReply(text string) string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(text, "\n")
	cut := len(lines)
	for i := range lines {
		if startsAddedPart(lines, i) {
			cut = i
			break
		}
	}
	var out []string
	for _, l := range lines[:cut] {
		if strings.HasPrefix(strings.TrimLeft(l, " \t"), ">") {
			continue
		}
		out = append(out, strings.TrimRight(l, " \t\u00a0"))
	}
	// Blank lines at either end go, runs of them inside become one.
	var b strings.Builder
	blank := 0
	for _, l := range out {
		if strings.TrimSpace(l) == "" {
			blank++
			continue
		}
		if b.Len() > 0 && blank > 0 {
			b.WriteString("\n")
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(l)
		blank = 0
	}
	return b.String()
}

// quoteHeaders are the lines mail programs put above a quoted mail, in
// the languages of most of our members: "On <date>, <name> wrote:".
var quoteHeaders = regexp.MustCompile(`(?i)^\s*(` +
	`on\s.+\swrote\s?:|` + // English (Gmail, Apple Mail, Thunderbird)
	`am\s.+\sschrieb\s.*:|` + // German: "Am 12.03.2024 um 10:15 schrieb Hans:"
	`le\s.+\sa\s[ée]crit\s?:|` + // French: "Le 12 mars 2024 à 10:15, Jean a écrit :"
	`el\s.+\sescribi[óo]\s?:|` + // Spanish
	`il\s.+\sha\sscritto\s?:|` + // Italian
	`op\s.+\sschreef\s.*:|` + // Dutch: "Op 12 mrt. 2024 om 10:15 schreef Jan:"
	`em\s.+\sescreveu\s?:|` + // Portuguese
	`den\s.+\sskrev\s.*:|` + // Swedish, Danish, Norwegian: "Den 12 mars 2024 kl. 10:15 skrev Sven:"
	`w\sdniu\s.+\s(pisze|napisa[łl](\(a\)|a)?)\s?:` + // Polish (Thunderbird)
	`)\s*$`)

// looseQuoteHeaders are headers that start with the date or the name
// (Gmail in several languages: "tis 12 mars 2024 kl 10:15 skrev Sven
// <sven@…>:"): taken only from a line with an address and a digit, so
// that "my colleague wrote:" in a member's own text stays.
var looseQuoteHeaders = regexp.MustCompile(`(?i)\s(wrote|schrieb(\s.*)?|skrev(\s.*)?|napisa[łl](\(a\)|a)?|a\s[ée]crit|escribi[óo]|ha\sscritto|schreef(\s.*)?|escreveu)\s?:\s*$`)

func isQuoteHeader(l string) bool {
	if quoteHeaders.MatchString(l) {
		return true
	}
	return strings.Contains(l, "@") && strings.ContainsAny(l, "0123456789") && looseQuoteHeaders.MatchString(l)
}

// quoteHeaderStarts are the first words of a quote header that Gmail may
// have split over two or three lines.
var quoteHeaderStarts = regexp.MustCompile(`(?i)^\s*(on|am|le|el|il|op|em|den|w dniu)\s`)

// markers are lines that begin a forwarded or an Outlook-quoted mail.
var markers = regexp.MustCompile(`(?i)^\s*(` +
	`-{2,}\s*(original message|forwarded message|ursprüngliche nachricht|original-nachricht|weitergeleitete nachricht|` +
	`message d'origine|message original|message transféré|mensaje original|mensaje reenviado|messaggio originale|messaggio inoltrato|` +
	`oorspronkelijk bericht|doorgestuurd bericht|mensagem original|mensagem encaminhada|ursprungligt meddelande|vidarebefordrat meddelande|` +
	`oprindelig meddelelse|videresendt meddelelse|opprinnelig melding|videresendt melding|wiadomość oryginalna|oryginalna wiadomość|przekazana wiadomość)\s*-{2,}|` +
	`begin forwarded message\s?:|anfang der weitergeleiteten nachricht\s?:|début du message réexpédié\s?:|inicio del mensaje reenviado\s?:|` +
	`_{20,}` + // Outlook's rule above its header block
	`)\s*$`)

// signatures are the lines that start a signature: the "-- " delimiter and
// what phones and Outlook add.
var signatures = regexp.MustCompile(`(?i)^\s*(` +
	`--\s*|` +
	`sent from (my |mail for |yahoo mail|outlook|samsung).*|get outlook for (ios|android).*|sent from my .*|` +
	`von meinem .* gesendet|gesendet von meinem .*|gesendet von (mail|outlook) für .*|holen sie sich outlook für .*|` +
	`envoyé de mon .*|envoyé depuis mon .*|obtenir outlook pour .*|` +
	`enviado desde mi .*|enviado desde (outlook|correo) .*|obtener outlook para .*|` +
	`inviato da(l mio)? .*|scarica outlook per .*|` +
	`verzonden (vanaf|met) .*|outlook voor (ios|android) downloaden|` +
	`enviado do meu .*|enviado (a partir )?do (meu )?.*(iphone|ipad|android|smartphone|outlook).*|obter o outlook para .*|` +
	`skickat från min .*|skaffa outlook för .*|sendt fra min .*|hent outlook til .*|` +
	`wysłane z (mojego|mojej|aplikacji) .*|pobierz outlook dla .*` +
	`)\s*$`)

// Outlook's header block: a From line, then Sent or Date, To and Subject,
// each in the language of the sender's Outlook.
var (
	outlookFrom = regexp.MustCompile(`(?i)^\s*\*?(from|von|de|van|da|från|fra|od|em nome de)\s?:\*?\s*\S`)
	outlookNext = regexp.MustCompile(`(?i)^\s*\*?(sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|date|à|objet|` +
		`enviado|fecha|para|asunto|inviato|data|a|oggetto|verzonden|aan|onderwerp|assunto|skickat|till|ämne|sendt|til|emne|wysłano|do|temat)\s?:`)
)

// startsAddedPart reports whether line i starts what the mail program
// added below the member's text.
func startsAddedPart(lines []string, i int) bool {
	l := lines[i]
	if strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimLeft(l, " \t"), ">") {
		return false
	}
	if markers.MatchString(l) || signatures.MatchString(l) || isQuoteHeader(l) {
		return true
	}
	if quoteHeaderStarts.MatchString(l) || strings.ContainsAny(l, "0123456789") {
		joined := l
		for j := i + 1; j < len(lines) && j <= i+2 && strings.TrimSpace(lines[j]) != ""; j++ {
			joined += " " + strings.TrimSpace(lines[j])
			if len(joined) < 400 && isQuoteHeader(joined) {
				return true
			}
		}
	}
	if outlookFrom.MatchString(l) {
		n := 0
		for j := i + 1; j < len(lines) && j <= i+5; j++ {
			if outlookNext.MatchString(lines[j]) {
				n++
			}
		}
		return n >= 2
	}
	return false
}
