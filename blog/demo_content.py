"""Demo articles loaded by `flask --app blog seed-demo`; original text modelled on the design seeds."""

from typing import Any

DEMO_AUTHOR = {"email": "demo@example.com", "name": "Radhika Agarwal"}

_MISSION_BODY = """\
## Mission and Goals

The International Organization for Migration (IOM) is the intergovernmental body that \
concentrates on people on the move. It is part of the wider United Nations family and \
exists to make migration work in a humane, orderly way that benefits migrants and the \
societies they leave and join.

To turn that purpose into practice, IOM works to:

- support migrants, refugees and displaced families who need help
- encourage migration policies built on respect for human rights
- give governments practical, technical advice on managing migration
- bring countries and agencies together so their efforts on migration line up

## History and Structure

The organization was set up in 1951, when millions of Europeans were still uprooted by \
the Second World War and needed help to start again somewhere new. Over the following \
decades its remit grew far beyond that first resettlement task, and it joined the United \
Nations system in 2016.

Today IOM runs offices in over 100 countries. Its headquarters are in Geneva, \
Switzerland, from where the global network of field missions is coordinated.

## Activities and Programs

The work spans many corners of the migration field. Among the main areas are:

- migration and development
- migration and climate change
- migration and health
- labour migration
- humanitarian assistance

Alongside these programmes, IOM trains officials and offers technical assistance so \
that governments can build their own capacity to manage migration well.

## Partnerships and Collaborations

No single agency can handle migration alone. IOM works hand in hand with other UN \
bodies, national governments, non-governmental organizations and private companies. \
Pooling money, knowledge and local contacts in this way lets each partner reach people \
it could not reach on its own, and helps everyone respond to problems that cross borders \
by their very nature.

## Challenges and Opportunities

The road ahead is not an easy one. Some of the pressures IOM has to deal with include:

- the steady rise in the number of people migrating worldwide
- a changing climate that pushes communities from their homes
- hostility towards immigrants in public debate
- budgets that rarely match the size of the need

Each of these pressures is also a chance to show what well-managed migration can \
achieve, and IOM continues to hold on to its founding aim of humane and orderly movement \
for everyone involved.

## Conclusion

IOM matters because migration touches almost every country on earth. By defending the \
rights of migrants and refugees, pushing for policies grounded in human rights, and \
helping governments with the technical side of migration, it plays a central part in \
making the movement of people safer and fairer.
"""

_NAVIGATING_BODY = """\
People are crossing borders today in numbers the world has never seen before, and \
somebody has to help make sense of it all. That role falls in large part to the \
International Organization for Migration (IOM), which approaches migration with a mix \
of empathy, expertise and stubborn persistence. It began in 1951 as a response to the \
mass displacement left behind by the Second World War, and it has since grown into the \
leading intergovernmental agency dealing with the promise and the pressure of migration \
in the twenty-first century.

## Rooted in human dignity

At the heart of IOM's work sits a simple conviction: every person has worth, and their \
rights do not vanish when they leave home. From that starting point the organization \
pursues a picture of migration that is humane, orderly and respectful. Its staff come \
from many backgrounds and its operations stretch across more than 170 countries, which \
puts it right on the front line, serving migrants, host communities and governments \
with a wide range of support.

That support does not depend on a person's paperwork or past. Whether IOM is delivering \
aid to refugees and internally displaced people or helping newcomers settle and find \
their footing in a new country, the same values of care and respect shape the programme.

## Safe and orderly pathways

> Migration is not a problem to be solved but a journey to be made safer.

A large share of IOM's effort goes into opening safe, legal channels for people who \
want or need to move. Working alongside governments and other stakeholders, it helps \
design rules and practices that widen regular routes while cutting the space in which \
smugglers and traffickers operate. By getting countries to talk to one another, it aims \
to make sure migration pays off both for those who move and for the places that receive \
them.

## When disaster strikes

Emergencies are another core part of the job. After an earthquake, a flood, an armed \
conflict or a health crisis such as the COVID-19 pandemic, IOM teams deploy quickly to \
work out what people need and to get help to them. That help can mean shelter, medical \
care, counselling, or tracing and reuniting separated families.

## Research and evidence

IOM also studies migration closely. Through its global data centre on migration and a \
range of research projects, it gathers figures, examines what drives people to move and \
what happens when they do, and shares those findings so that policymakers can act on \
evidence rather than assumption.

Because the reasons people move keep changing, IOM keeps changing too. New programmes, \
public campaigns and capacity-building work all serve the same steady goal: meeting the \
opportunities and the difficulties of migration in a world that is always in motion.
"""

_WRITING_BODY = """\
Memory is a generous liar. It keeps the outline of a day and quietly rewrites the \
details, so that within a few years we remember what we wish had happened rather than \
what did. Writing is the oldest cure we have for that habit.

> Put it on the page, or be ready to lose it.

News agencies understand this better than most. On September 1, 1904, the St. \
Petersburg Telegraph Agency began sending out its dispatches, and from that day forward \
its reporters were doing more than delivering the news: they were building an archive. \
Every bulletin filed, dated and stored became a small piece of evidence that a later \
reader could check. More than a century on, agencies around the world still work the \
same way, keeping careful records because they know that today's report is tomorrow's \
history.

The same logic applies to ordinary people with ordinary notebooks. Here is why the \
habit is worth keeping:

1. **It preserves the truth.** A note made on the day is harder to argue with than a \
recollection made years later.
2. **It sharpens thinking.** Half-formed ideas fall apart on paper, and the ones that \
survive come out clearer.
3. **It connects generations.** Letters, diaries and reports let people we will never \
meet understand what we lived through.
4. **It holds power to account.** Written records make it far harder for events to be \
quietly denied or forgotten.

None of this requires talent. A shopping list, a hurried diary line or a two-sentence \
email can carry the weight of a moment just as well as a polished essay. What matters \
is the decision to set it down at all.

So the next time something strikes you as worth remembering, do not trust yourself to \
remember it. Write it down, date it, and put it somewhere safe. The person who thanks \
you may well be your future self.
"""

_ENTRY17_BODY = """\
**Date:** 15-05-24\\
**Time:** 1:27 P.M.

Dear Diary,

One word, four letters: *fear*.

That is the only word that fits today. Mum and Dad both left for work early this \
morning, and I told them my stomach hurt so I would not have to go to school. It did \
not hurt. I just wanted a day to myself, a whole empty house with nobody telling me \
what to do.

For the first hour it felt wonderful. I ate cereal on the sofa, I turned the television \
up as loud as I liked, and I did not brush my hair. The sun came in through the big \
window and made long yellow stripes across the carpet.

Then the house started making noises.

The fridge hummed louder than I had ever noticed. A door upstairs clicked, even though I \
was sure every door was shut. Something tapped against the kitchen window, again and \
again, slow and patient. I told myself it was the branch from the neighbour's tree, but \
I did not go and look. I sat very still with the remote in my hand and the sound turned \
*all the way down* so I could listen.

It is funny how a house you have lived in your whole life can turn into a stranger the \
moment you are alone in it. Every shadow seems to have been waiting for its chance.

I have now checked the front door lock three times. I have put on every light, even \
though it is the middle of the afternoon. I keep looking at the clock, and the clock \
keeps refusing to move.

Mum gets home at five. That is three and a half hours away.

I think tomorrow I will go to school.

Yours, still hiding under the blanket,\\
Me
"""

_SILENTLY_BODY = """\
**Dear Diary,**

Today Baba took me to the laboratory where he drives the visitors' bus, and the guard \
let me sit on a stool in the corner as long as I promised not to touch anything. I kept \
the promise. Mostly.

In the middle of the room there was a robot. It was not like the ones in cartoons. It \
had no face, just a smooth grey head with a row of tiny lights, and two long arms that \
ended in fingers made of metal and rubber. The scientists, who had come all the way \
from America, moved around it in white coats, opening panels in its chest and talking \
to each other in quick, tired voices.

The robot did not complain once. It just sat there, silently, while they poked at it. \
Every so often a screen beside it printed a line, and I copied a few into my notebook:

```
[09:42:17] self-test ........ OK
[09:42:18] motor_arm_left ... recalibrating
[09:42:21] status: waiting for instruction
```

Waiting for instruction. I thought about that for a long time. The little lights on its \
head blinked `IDLE` whenever the scientists stepped away, as if it were holding its \
breath.

On the way home I asked Baba whether robots would be kind or cruel when they grow up. \
He laughed and said robots do not grow up. But I do not think that really answers it.

Here is what I decided on the bus. The robot is a bit like a kitchen knife, or like a \
pencil. A knife can cut bread for your family or hurt someone, and the knife does not \
choose. A pencil can write a love letter or a lie. The machine in that room was not \
good and it was not wicked. It was simply *waiting*, and whatever it becomes will depend \
on the hands that give it instructions.

I hope they are careful hands.

Tomorrow I am going to draw the robot from memory, before I forget the way its lights \
looked.
"""

DEMO_POSTS: list[dict[str, Any]] = [
    {
        "title": "Mission And Goals",
        "slug": "mission-and-goals",
        "picture": {
            "from": "#12355b",
            "to": "#1f8a70",
            "accent": "#f2c14e",
            "shapes": "circles",
            "alt": (
                "An abstract illustration: a diagonal gradient from deep "
                "navy to teal with overlapping translucent gold and white circles."
            ),
        },
        "published_at": "2024-05-06T09:00:00+00:00",
        "tags": ["IOM", "Migration", "Human Rights"],
        "excerpt": (
            "An overview of the International Organization for Migration: what it aims "
            "to do, where it came from, and the challenges it faces today."
        ),
        "body": _MISSION_BODY,
    },
    {
        "title": "The IOM: Navigating Migration Challenges with Compassion and Expertise",
        "slug": "the-iom-navigating-migration-challenges",
        "picture": {
            "from": "#0b3954",
            "to": "#087e8b",
            "accent": "#ff5a5f",
            "shapes": "bands",
            "alt": (
                "An abstract illustration: slanted coral and white bands "
                "crossing a gradient from dark blue to sea green, like paths across a map."
            ),
        },
        "published_at": "2024-05-10T14:30:00+00:00",
        "tags": ["IOM", "Migration", "Humanitarian Aid"],
        "excerpt": (
            "How the IOM pairs respect for human dignity with practical know-how to make "
            "migration safer, from legal pathways to emergency relief and research."
        ),
        "body": _NAVIGATING_BODY,
    },
    {
        "title": "The Virtues Of Writing",
        "slug": "the-virtues-of-writing",
        "picture": {
            "from": "#f4e9d8",
            "to": "#c9a66b",
            "accent": "#5b3a29",
            "shapes": "squares",
            "alt": (
                "An abstract illustration: soft brown and white rounded "
                "squares, like scattered notes, on a gradient from cream to warm tan."
            ),
        },
        "published_at": "2024-05-14T08:15:00+00:00",
        "tags": ["Writing", "Journalism"],
        "excerpt": (
            "Memory fades and rewrites itself. News agencies have kept careful records "
            "for over a century, and the rest of us have good reasons to do the same."
        ),
        "body": _WRITING_BODY,
    },
    {
        "title": "Hello! - Entry 17",
        "slug": "hello-entry-17",
        "picture": {
            "from": "#ffd166",
            "to": "#ef476f",
            "accent": "#073b4c",
            "shapes": "circles",
            "alt": (
                "An abstract illustration: dark teal and white bubbles "
                "drifting over a gradient from sunny yellow to pink."
            ),
        },
        "published_at": "2024-05-15T13:27:00+00:00",
        "tags": ["Diary", "Fiction"],
        "excerpt": (
            "A child skips school for a day alone at home and discovers that an empty "
            "house can be the loudest place in the world."
        ),
        "body": _ENTRY17_BODY,
    },
    {
        "title": "It Just Sat There, Silently",
        "slug": "it-just-sat-there-silently",
        "picture": {
            "from": "#1b1b2f",
            "to": "#3a506b",
            "accent": "#5bc0be",
            "shapes": "triangles",
            "alt": (
                "An abstract illustration: translucent turquoise and white "
                "triangles over a gradient from near-black to slate blue."
            ),
        },
        "published_at": "2024-06-02T10:00:00+00:00",
        "tags": ["Diary", "Artificial Intelligence", "Fiction"],
        "excerpt": (
            "A young girl watches visiting scientists repair a robot and wonders whether "
            "the machine could ever be kind or cruel on its own."
        ),
        "body": _SILENTLY_BODY,
    },
]

_ABOUT_BODY = """\
Welcome. This is a small notebook kept by Radhika Agarwal, and it wanders.

Some posts are about **people on the move**: how families cross borders, what the agencies \
that help them actually do all day, and why a journey made safely and in good order \
benefits the places people leave as much as the places they reach. Others are entries from a diary, \
short pieces of fiction, or notes on why it is worth writing things down at all.

## Why a blog

Memory is a generous editor and an unreliable witness. Writing a thing down the day it \
happens keeps it honest, and publishing it keeps the writer honest too. This blog is where \
half-finished thoughts go to become finished ones, slowly and in public.

## What you will find here

- longer articles on borders, resettlement and the work of international organisations
- diary entries, some of them true and some of them only nearly so
- the occasional story about robots, children and the questions they ask each other

## Saying hello

Comments are open on most posts, and replies are read. For anything longer, or anything \
you would rather not say in public, the contact form at the top of every page reaches me \
directly. New posts arrive in the [feed](/feed.atom) for your reader, if you use one.
"""

# Standalone pages (PostKind.PAGE) loaded with the demo: at /<slug>, in the header navigation.
DEMO_PAGES: list[dict[str, Any]] = [
    {
        "title": "About",
        "slug": "about",
        "published_at": "2024-05-01T09:00:00+00:00",
        "excerpt": (
            "Who writes this blog, what it is about (people on the move, diaries, writing and the odd robot) "
            "and how to get in touch."
        ),
        "body": _ABOUT_BODY,
        "in_navigation": True,
    },
]

_IOM_INDONESIA_BODY = """\
Indonesia adalah negara kepulauan dengan lebih dari 17.000 pulau, dan bagi banyak keluarga di sini \
migrasi adalah bagian dari hidup sehari-hari. Ada yang merantau ke kota lain untuk bekerja, ada yang \
berangkat ke luar negeri sebagai pekerja migran, dan ada pula yang terpaksa meninggalkan rumah karena \
banjir, gempa bumi, atau letusan gunung berapi. Organisasi Internasional untuk Migrasi (IOM) sudah \
bekerja di Indonesia sejak akhir 1970-an, dan tulisan ini mencoba merangkum apa saja yang dilakukannya.

## Membantu saat bencana

Ketika gempa dan tsunami melanda Aceh pada 2004, lalu Palu dan Donggala pada 2018, ribuan keluarga \
kehilangan tempat tinggal dalam satu hari. Bersama pemerintah daerah dan relawan setempat, IOM membantu \
mendirikan tempat penampungan sementara, membagikan perlengkapan darurat, dan mencatat siapa saja yang \
mengungsi dan apa yang mereka butuhkan. Data seperti ini penting: tanpa itu, bantuan mudah menumpuk di \
satu tempat sementara desa lain tidak kebagian.

## Pekerja migran yang lebih terlindungi

Setiap tahun ratusan ribu orang Indonesia bekerja di luar negeri, terutama di Malaysia, Hong Kong, \
Taiwan, dan negara-negara Teluk. Sebagian besar pulang dengan selamat, tetapi sebagian lainnya terjerat \
utang kepada perekrut, kehilangan paspor, atau tidak menerima upah yang dijanjikan. IOM bekerja sama \
dengan pemerintah untuk:

- memberi informasi yang jujur sebelum orang berangkat, tentang hak dan risiko bekerja di luar negeri
- melatih petugas di desa asal agar bisa mengenali tawaran kerja yang mencurigakan
- mendampingi korban perdagangan orang saat pulang, sampai mereka bisa memulai hidup baru

## Pengungsi yang transit

Indonesia juga menjadi tempat singgah bagi ribuan pengungsi dan pencari suaka dari Afganistan, Somalia, \
Myanmar, dan negara lain, yang menunggu bertahun-tahun untuk dimukimkan kembali di negara ketiga. Selama \
menunggu, IOM membantu kebutuhan dasar mereka, seperti tempat tinggal, layanan kesehatan, dan kegiatan \
belajar untuk anak-anak.

## Mengapa ini penting

Migrasi yang aman dan teratur tidak terjadi dengan sendirinya. Dibutuhkan kerja sama antara pemerintah, \
organisasi internasional, masyarakat desa, dan para migran sendiri. Karya IOM di Indonesia menunjukkan \
bahwa bantuan yang paling berguna sering kali sederhana: informasi yang benar, pada waktu yang tepat, \
untuk orang yang membutuhkannya.
"""

# Loaded beside the English articles when SITE_LANGUAGE names the language (`make run SITE_LANGUAGE=id`).
DEMO_POSTS_BY_LANGUAGE: dict[str, list[dict[str, Any]]] = {
    "id": [
        {
            "title": "IOM di Indonesia: Menemani Orang yang Berpindah",
            "slug": "iom-di-indonesia",
            "picture": {
                "from": "#8c1c13",
                "to": "#f4a259",
                "accent": "#ffffff",
                "shapes": "bands",
                "alt": (
                    "Ilustrasi abstrak: pita-pita putih dan merah tua melintang di atas gradasi "
                    "dari merah bata ke jingga, seperti jalur pelayaran antarpulau."
                ),
            },
            "published_at": "2024-06-10T08:00:00+00:00",
            "tags": ["IOM", "Migrasi", "Indonesia"],
            "excerpt": (
                "Dari bantuan bencana di Aceh dan Palu sampai perlindungan pekerja migran: apa yang "
                "dikerjakan Organisasi Internasional untuk Migrasi di Indonesia."
            ),
            "body": _IOM_INDONESIA_BODY,
        },
    ],
}


_ABOUT_BODY_ID = """\
Blog ini berisi catatan tentang orang-orang yang berpindah tempat, buku harian, menulis, dan sesekali \
robot. Penulisnya percaya bahwa cerita kecil sering menjelaskan hal besar lebih baik daripada angka.

## Menyapa

Komentar terbuka di sebagian besar postingan, dan setiap balasan dibaca. Untuk hal yang lebih panjang, \
atau yang tidak ingin Anda sampaikan di depan umum, formulir kontak di bagian atas setiap halaman \
langsung sampai kepada saya. Postingan baru muncul di [feed](/feed.atom) untuk aplikasi pembaca Anda.
"""

# The standalone pages in the site's language, in place of the English ones (the header shows their titles).
DEMO_PAGES_BY_LANGUAGE: dict[str, list[dict[str, Any]]] = {
    "id": [
        {
            "title": "Tentang",
            "slug": "tentang",
            "published_at": "2024-05-01T09:00:00+00:00",
            "excerpt": "Siapa yang menulis blog ini, apa isinya, dan cara menghubungi penulisnya.",
            "body": _ABOUT_BODY_ID,
            "in_navigation": True,
        },
    ],
}


def demo_pages(language: str) -> list[dict[str, Any]]:
    """The demo's standalone pages in the site's language, else the English ones."""
    return DEMO_PAGES_BY_LANGUAGE.get(language, DEMO_PAGES)


def demo_posts(language: str) -> list[dict[str, Any]]:
    """The English demo articles, and those written in the site's language."""
    return DEMO_POSTS + DEMO_POSTS_BY_LANGUAGE.get(language, [])
