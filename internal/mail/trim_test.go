package mail_test

import (
	"testing"

	"hearth/internal/mail"
)

// TestTrimReply: replies as mail programs send them, in several languages;
// what is left is what the member wrote.
func TestTrimReply(t *testing.T) {
	const plain = "From: Ada <ada@example.org>\nTo: reply+x@forum.example.org\nSubject: Re: Ferries\nContent-Type: text/plain; charset=utf-8\n\n"
	for _, c := range []struct{ name, eml, want string }{
		{"gmail english", plain + "Take the 7:40 ferry, it is quieter.\n\nOn Tue, Mar 12, 2024 at 10:15 AM Hannah <notify@forum.example.org> wrote:\n\n> Which ferry to Lisbon?\n> Hannah\n",
			"Take the 7:40 ferry, it is quieter."},
		{"gmail split header", plain + "Yes, book early.\n\nOn Tue, Mar 12, 2024 at 10:15 AM Travel Agents Forum <\nnotify@forum.example.org> wrote:\n\n> Which ferry?\n",
			"Yes, book early."},
		{"apple mail", plain + "Agreed.\n\nSent from my iPhone\n\n> On 12 Mar 2024, at 10:15, Hannah <notify@forum.example.org> wrote:\n> \n> Which ferry?\n",
			"Agreed."},
		{"thunderbird english with signature", plain + "Two remarks:\n\n1. The port moved.\n2. Bring cash.\n\n-- \nAda Lovelace\nLovelace Travel\n\nOn 3/12/24 10:15, Hannah wrote:\n> Which ferry?\n",
			"Two remarks:\n\n1. The port moved.\n2. Bring cash."},
		{"thunderbird german", plain + "Danke, das hilft.\n\nAm 12.03.2024 um 10:15 schrieb Hans Müller:\n> Welche Fähre?\n",
			"Danke, das hilft."},
		{"gmail german", plain + "Gern geschehen!\n\nAm Di., 12. März 2024 um 10:15 Uhr schrieb Travel Agents Forum <\nnotify@forum.example.org>:\n\n> Welche Fähre?\n",
			"Gern geschehen!"},
		{"german iphone", plain + "Passt.\n\nVon meinem iPhone gesendet\n\n> Am 12.03.2024 um 10:15 schrieb Hans <h@example.de>:\n",
			"Passt."},
		{"french gmail", plain + "Merci beaucoup.\n\nLe mar. 12 mars 2024 à 10:15, Jean Dupont <jean@example.fr> a écrit :\n\n> Quel ferry ?\n",
			"Merci beaucoup."},
		{"french iphone", plain + "D'accord.\n\nEnvoyé de mon iPhone\n\n> Le 12 mars 2024 à 10:15, Jean <jean@example.fr> a écrit :\n",
			"D'accord."},
		{"spanish", plain + "Perfecto, gracias.\n\nEnviado desde mi iPhone\n\nEl 12 mar 2024, a las 10:15, Ana <ana@example.es> escribió:\n> ¿Qué ferry?\n",
			"Perfecto, gracias."},
		{"italian", plain + "Va bene.\n\nIl giorno mar 12 mar 2024 alle ore 10:15 Luca <luca@example.it> ha scritto:\n\n> Quale traghetto?\n",
			"Va bene."},
		{"dutch", plain + "Prima, bedankt.\n\nOp di 12 mrt 2024 om 10:15 schreef Jan de Vries <jan@example.nl>:\n\n> Welke veerboot?\n",
			"Prima, bedankt."},
		{"portuguese", plain + "Obrigado!\n\nEm ter., 12 de mar. de 2024 às 10:15, João <joao@example.pt> escreveu:\n\n> Qual ferry?\n",
			"Obrigado!"},
		{"swedish gmail", plain + "Tack så mycket.\n\ntis 12 mars 2024 kl 10:15 skrev Sven Svensson <sven@example.se>:\n\n> Vilken färja?\n",
			"Tack så mycket."},
		{"danish thunderbird", plain + "Tak.\n\nDen 12-03-2024 kl. 10:15 skrev Lars:\n> Hvilken færge?\n",
			"Tak."},
		{"norwegian iphone", plain + "Takk.\n\nSendt fra min iPhone\n\n> 12. mar. 2024 kl. 10:15 skrev Ola <ola@example.no>:\n",
			"Takk."},
		{"polish thunderbird", plain + "Dzięki.\n\nW dniu 12.03.2024 o 10:15, Jan Kowalski pisze:\n> Który prom?\n",
			"Dzięki."},
		{"polish gmail", plain + "Super.\n\nwt., 12 mar 2024 o 10:15 Jan <jan@example.pl> napisał(a):\n\n> Który prom?\n",
			"Super."},
		{"outlook english", plain + "See you there.\n\nGet Outlook for iOS\n________________________________\nFrom: Travel Agents Forum <notify@forum.example.org>\nSent: Tuesday, March 12, 2024 10:15 AM\nTo: Ada <ada@example.org>\nSubject: Which ferry?\n\nHannah asked...\n",
			"See you there."},
		{"outlook desktop original message", plain + "Confirmed for Friday.\n\n-----Original Message-----\nFrom: Hannah <notify@forum.example.org>\nSent: Tuesday, March 12, 2024 10:15 AM\nTo: Ada\nSubject: Which ferry?\n",
			"Confirmed for Friday."},
		{"outlook german", plain + "Bis Freitag.\n\nVon: Travel Agents Forum <notify@forum.example.org>\nGesendet: Dienstag, 12. März 2024 10:15\nAn: Hans <hans@example.de>\nBetreff: Welche Fähre?\n\nHannah fragte...\n",
			"Bis Freitag."},
		{"outlook french", plain + "À vendredi.\n\nDe : Travel Agents Forum <notify@forum.example.org>\nEnvoyé : mardi 12 mars 2024 10:15\nÀ : Jean <jean@example.fr>\nObjet : Quel ferry ?\n",
			"À vendredi."},
		{"forwarded gmail", plain + "Look at this one.\n\n---------- Forwarded message ---------\nFrom: Hannah <h@example.org>\nDate: Tue, Mar 12, 2024\n",
			"Look at this one."},
		{"interleaved answers keep the answers", plain + "> Which ferry?\nThe 7:40.\n> And the price?\nAbout 20 euros.\n",
			"The 7:40.\nAbout 20 euros."},
		{"text that merely mentions writing stays", plain + "My colleague wrote:\nthe port moved in 2023.\n\nOn that day we left.\n",
			"My colleague wrote:\nthe port moved in 2023.\n\nOn that day we left."},
		{"gmail html only", "From: Ada <ada@example.org>\nSubject: Re: x\nMIME-Version: 1.0\nContent-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n" +
			"<div dir=3D\"ltr\"><p>Caf=C3=A9 at the port, 8:00.</p><p>Bring tickets.</p></div><br><div class=3D\"gmail_quote\"><div dir=3D\"ltr\" class=3D\"gmail_attr\">On Tue, Mar 12, 2024 at 10:15 AM Hannah &lt;<a href=3D\"mailto:n@forum.example.org\">n@forum.example.org</a>&gt; wrote:<br></div><blockquote class=3D\"gmail_quote\">Which ferry?</blockquote></div>\n",
			"Café at the port, 8:00.\n\nBring tickets."},
		{"multipart alternative latin-1", "From: Ada <ada@example.org>\nSubject: Re: x\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe aus M=FCnchen.\n\nAm 12.03.2024 um 10:15 schrieb Hans:\n> Hallo\n--b1\nContent-Type: text/html; charset=iso-8859-1\n\n<p>ignored</p>\n--b1--\n",
			"Grüße aus München."},
		{"base64 plain with attachment", "From: Ada <ada@example.org>\nSubject: Re: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"m\"\n\n--m\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nU2VlIHRoZSB0aW1ldGFibGUu\nCgpPbiBNb24sIEFkYSB3cm90ZToKPiBoaQo=\n--m\nContent-Type: text/plain; name=\"notes.txt\"\nContent-Disposition: attachment; filename=\"notes.txt\"\n\nnot this\n--m--\n",
			"See the timetable."},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg, err := mail.ReadMessage([]byte(c.eml))
			if err != nil {
				t.Fatal(err)
			}
			text, err := mail.ReplyText(msg.Header, msg.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got := mail.TrimReply(text); got != c.want {
				t.Errorf("trimmed to\n%q\nwant\n%q\n(text was %q)", got, c.want, text)
			}
		})
	}
}
