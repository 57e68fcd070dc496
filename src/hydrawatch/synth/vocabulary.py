"""Words and templates of the simulated world, in English and Arabic.

Everything here is NEUTRAL placeholder language: the organisation ("Zephyr Relay"), its
outlets, regions, cities and teams are invented; maxims are generic proverbs or invented
lines, not scripture; nothing incites anything. The point is structure a detector can learn
(who links where, who promotes whom, which words each group leans on) without any real
propaganda. Vocabulary deliberately overlaps between groups: news and counter accounts name
the organisation, religious accounts use the same devotional words as the "scripture"
role, ordinary Arabic users have the same handle styles as the network.

Templates use ``{slot}`` placeholders filled by :mod:`hydrawatch.synth.texts`. Slots that
become entities: ``{link}`` (a t.co URL), ``{tag}`` (a hashtag), ``{mention}`` (an @handle).
Pairs are ``(english, arabic)``.
"""

from __future__ import annotations

ORG = ("Zephyr Relay", "رابطة زفير")
ORG_SHORT = (("the Relay", "ZR", "Zephyr Relay"), ("الرابطة", "رابطة زفير"))

REGIONS: tuple[tuple[str, str], ...] = (
    ("Sarim", "صريم"), ("Qasirah", "قصيرة"), ("Hadbah", "حدبة"), ("Bariq", "بارق"),
    ("Talmun", "تلمون"), ("Zaydan", "زيدان"), ("Nahr Safi", "نهر صافي"), ("Ard Jadida", "أرض جديدة"),
    ("Wadi Lamis", "وادي لامس"), ("Jabal Ruwa", "جبل روى"), ("Marj Halim", "مرج حليم"),
    ("Sahl Tamir", "سهل تامر"), ("Ain Dafla", "عين دفلى"), ("Kafr Nadim", "كفر نديم"),
    ("Tal Warda", "تل وردة"), ("Ras Hilal", "رأس هلال"),
)
CITIES: tuple[tuple[str, str], ...] = (
    ("Qadira", "قديرة"), ("Port Salina", "بورت سالينا"), ("Nuran", "نوران"), ("Bayt Amin", "بيت أمين"),
    ("Westbrook Bay", "ويستبروك باي"), ("Tallis", "تاليس"), ("Marisport", "ماريسبورت"), ("Dunmere", "دنمير"),
)
TEAMS: tuple[tuple[str, str], ...] = (
    ("Red Falcons", "الصقور الحمر"), ("Nujoom FC", "نادي النجوم"), ("Harbour United", "هاربر يونايتد"),
    ("Al-Wadi Club", "نادي الوادي"), ("Cedar Rovers", "روفرز الأرز"),
)
FOODS: tuple[tuple[str, str], ...] = (
    ("falafel", "فلافل"), ("pizza", "بيتزا"), ("shawarma", "شاورما"), ("kunafa", "كنافة"),
    ("burgers", "برغر"), ("mansaf", "منسف"), ("lentil soup", "شوربة عدس"),
)
NEWS_OUTLETS: tuple[tuple[str, str, str], ...] = (
    ("Daily Ledger", "ديلي ليدجر", "dailyledger.example"),
    ("Gulf Wire", "غلف واير", "gulfwire.example"),
    ("Levant Post", "ليفانت بوست", "levantpost.example"),
    ("World Brief", "وورلد بريف", "worldbrief.example"),
    ("Al-Khabar Today", "الخبر اليوم", "alkhabar-today.example"),
    ("Harbour Times", "هاربر تايمز", "harbourtimes.example"),
)
NEWS_SECTIONS = ("world", "region", "security", "tech", "politics", "society")
# Outlet names are "<first> <second>" in English and "<second> <first>" in Arabic.
OUTLET_FIRST: tuple[tuple[str, str], ...] = (
    ("Qamar", "قمر"), ("Nadir", "نادر"), ("Sahil", "ساحل"), ("Rimal", "رمال"), ("Layl", "ليل"),
    ("Wasat", "وسط"), ("Zahra", "زهرة"), ("Barq", "برق"), ("Nakhil", "نخيل"), ("Ghayth", "غيث"),
)
OUTLET_SECOND: tuple[tuple[str, str], ...] = (
    ("Bulletin", "نشرة"), ("Dispatch", "بريد"), ("Studio", "استوديو"), ("Report", "تقرير"),
    ("Archive", "أرشيف"), ("Media", "ميديا"), ("Press", "صحافة"), ("Voice", "صوت"),
)
RELEASE_TITLES: tuple[tuple[str, str], ...] = (
    ("Harvest of {region}", "حصاد {region}"), ("Voices from the Valley", "أصوات من الوادي"),
    ("The Long Road", "الطريق الطويل"), ("Lanterns", "قناديل"), ("Morning in {region}", "صباح في {region}"),
    ("Letters to the Brothers", "رسائل إلى الإخوة"), ("Bridges", "جسور"),
    ("Notes from the Market", "مذكرات من السوق"), ("The Quiet River", "النهر الهادئ"),
    ("Steadfast", "الثبات"), ("Seasons", "مواسم"), ("The Open Door", "الباب المفتوح"),
)
MAXIMS: tuple[tuple[str, str], ...] = (
    ("patience opens every closed door", "الصبر مفتاح الفرج"),
    ("whoever strives will find", "من جد وجد"),
    ("the steady heart is never alone", "القلب الثابت لا يكون وحيداً"),
    ("what is meant for you will reach you", "ما كان لك سيأتيك"),
    ("gratitude turns little into enough", "الشكر يجعل القليل كثيراً"),
    ("after the night the dawn always comes", "بعد الليل يأتي الفجر دائماً"),
    ("a good word opens hearts", "الكلمة الطيبة تفتح القلوب"),
    ("kindness to parents is the road to happiness", "بر الوالدين طريق السعادة"),
    ("do not despair, relief is near", "لا تيأس فالفرج قريب"),
    ("unity is strength", "الاتحاد قوة"),
)
LOCAL_EVENTS: tuple[tuple[str, str], ...] = (
    ("the market reopened this morning", "افتتاح السوق صباح اليوم"),
    ("volunteers repaired the water pump", "المتطوعون أصلحوا مضخة الماء"),
    ("the road to {region} is open again", "الطريق إلى {region} مفتوح من جديد"),
    ("a new bakery opened near the square", "افتتاح مخبز جديد قرب الساحة"),
    ("the school held its exams", "المدرسة أجرت الامتحانات"),
    ("rain fell for the first time this season", "نزل المطر لأول مرة هذا الموسم"),
    ("the harvest started in the fields", "بدأ الحصاد في الحقول"),
    ("electricity returned after two days", "عادت الكهرباء بعد يومين"),
)
LIVE_REPORTS: tuple[tuple[str, str], ...] = (
    ("quiet night here", "ليلة هادئة هنا"),
    ("supplies arrived this morning", "وصلت الإمدادات صباح اليوم"),
    ("long day on the road", "يوم طويل على الطريق"),
    ("cold weather, spirits are high", "الجو بارد والمعنويات عالية"),
    ("we moved to a new camp", "انتقلنا إلى مخيم جديد"),
    ("the brothers send their greetings", "الإخوة يرسلون سلامهم"),
    ("more pictures soon", "المزيد من الصور قريباً"),
)

# --- templates per family, (english, arabic) -------------------------------------------------

TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "media": (
        ("Coming soon from {outlet}: part {num} of '{title}' {emoji}",
         "Stay tuned, {outlet} has a new release tonight {tag}",
         "{outlet} thanks everyone who shared the last release {emoji}",
         "Work continues at {outlet}. Watch this space {tag}"),
        ("قريباً من {outlet}: الجزء {num} من {title} {emoji}",
         "ترقبوا إصداراً جديداً من {outlet} الليلة {tag}",
         "{outlet} تشكر كل من نشر الإصدار السابق {emoji}",
         "العمل مستمر في {outlet}، ترقبوا {tag}"),
    ),
    "release": (
        ("{outlet} presents release no. {num}: '{title}' {link} {tag}",
         "New release from {outlet} - {title} {link}",
         "Release {num} | {title} | {outlet} {link} {emoji}",
         "Out now: '{title}' by {outlet} {link}"),
        ("إصدار جديد من {outlet}: {title} {link} {tag}",
         "{outlet} تقدم الإصدار رقم {num} بعنوان {title} {link}",
         "الإصدار {num} | {title} {link} {emoji}",
         "صدر الآن: {title} - {outlet} {link}"),
    ),
    "scripture": (
        ("Reflection {num}: {maxim} {emoji}",
         "Reminder for today: {maxim} {tag}",
         "From the book of reflections, page {num}: {maxim}",
         "{maxim}. Read it twice {emoji}"),
        ("تأمل رقم {num}: {maxim} {emoji}",
         "تذكير اليوم: {maxim} {tag}",
         "من كتاب التأملات، صفحة {num}: {maxim}",
         "{maxim} {emoji}"),
    ),
    "provincial": (
        ("News from {region}: {event}", "{region} today: {event} {emoji}",
         "From our brothers in {region}: {event} {tag}", "{region} update: {event}"),
        ("أخبار {region}: {event}", "{region} اليوم: {event} {emoji}",
         "من إخوتكم في {region}: {event} {tag}", "جديد {region}: {event}"),
    ),
    "amplifier": (
        ("Share and spread {tag} {emoji}", "Don't let the voice of {org} disappear, share everything {tag}",
         "Retweet and spread the new releases {tag}", "Spread it before it's deleted {emoji}",
         "Every share counts {emoji} {tag}"),
        ("انشروا {tag} {emoji}", "انشروا وأعيدوا النشر {tag}",
         "لا تتركوا صوت {org} يختفي، انشروا كل شيء", "انشروا قبل الحذف {emoji}",
         "كل مشاركة مهمة {tag}"),
    ),
    "shoutout": (
        ("Support the brothers' accounts, follow the list {tag}",
         "Every account they delete comes back stronger {emoji}",
         "Keep following the brothers, new accounts every day {tag}",
         "Check the replies for the new accounts {emoji}"),
        ("ادعموا حسابات الإخوة {tag}", "كل حساب يحذفونه يعود أقوى {emoji}",
         "تابعوا الإخوة، حسابات جديدة كل يوم {tag}", "الحسابات الجديدة في الردود {emoji}"),
    ),
    "recruiter": (
        ("Questions about {org}? My messages are open {emoji}",
         "If you want to know more about {org}, write to me",
         "Many ask about {org}. Read first, then ask {tag}",
         "Young people ask me the same things every day. Ask {emoji}"),
        ("من لديه سؤال عن {org} يراسلني {emoji}", "الرسائل مفتوحة لمن يريد أن يعرف أكثر",
         "اقرأ أولاً ثم اسأل {tag}", "أسئلة كثيرة عن {org}، الرسائل مفتوحة"),
    ),
    "fighter": (
        ("Live from {region}: {live}", "Update {num} from {region}: {live} {emoji}",
         "On the road near {region}. {live}", "{live} {emoji} {tag}"),
        ("مباشر من {region}: {live}", "تحديث {num} من {region}: {live} {emoji}",
         "على الطريق قرب {region}. {live}", "{live} {emoji} {tag}"),
    ),
    "migration": (
        ("Follow us on our channel {link}", "Our new channel: {link} {emoji}",
         "Join us here before they delete us {link}", "All releases now here {link} {tag}",
         "{link}"),
        ("تابعونا على قناتنا {link}", "قناتنا الجديدة {link} {emoji}",
         "انضموا إلينا هنا قبل الحذف {link}", "كل الإصدارات هنا الآن {link} {tag}", "{link}"),
    ),
    "promotion": (
        ("Follow our brother's new account {mention} {tag}",
         "Brother {mention} is back after suspension, support him {emoji}",
         "New account: {mention} please follow and share {tag}",
         "{mention} is the new account of the brother, spread it {emoji}"),
        ("تابعوا الحساب الجديد للأخ {mention}", "الأخ {mention} عاد، ادعموه بالمتابعة {emoji}",
         "حساب الأخ الجديد {mention} انشروه {tag}", "حساب جديد: {mention} تابعوا وانشروا"),
    ),
    # Shoutouts introducing a first-time member: no word of a return, some words shared with
    # the returnee promotions.
    "welcome": (
        ("Welcome brother {mention}, follow and support him {emoji}", "New account: {mention} please follow {tag}",
         "A new brother joined us: {mention} {tag}", "Support the brother {mention}, a new voice {emoji}"),
        ("مرحباً بالأخ {mention}، تابعوه وادعموه", "حساب جديد: {mention} تابعوا {tag}",
         "انضم إلينا الأخ {mention} {emoji}", "ادعموا الأخ {mention} بالمتابعة"),
    ),
    "self_announce": (
        ("Back again, account number {gen} {emoji}", "I'm back. Please follow and share this account {tag}",
         "New account after suspension number {gen}", "They deleted me again. Here I am {emoji}"),
        ("عدنا من جديد، الحساب رقم {gen} {emoji}", "هذا حسابي الجديد بعد الحذف، تابعوني",
         "الحساب رقم {gen} بعد الإيقاف", "حذفوني مرة أخرى، وها أنا ذا {emoji}"),
    ),
    "answer": (
        ("send me a private message and I will explain", "read the pinned post first, then write to me",
         "yes, ask whatever you want in private {emoji}", "welcome, we talk in messages"),
        ("أرسل لي رسالة خاصة وسأشرح لك", "اقرأ المنشور المثبت أولاً ثم راسلني",
         "أهلاً بك، نتحدث في الخاص {emoji}", "اسأل ما تشاء في الخاص"),
    ),
    "network_chat": (
        ("well said brother {emoji}", "may you be rewarded", "agreed", "shared {emoji}", "stay safe brother"),
        ("جزاك الله خيراً", "أحسنت يا أخي", "تم النشر {emoji}", "حفظك الله", "بارك الله فيك"),
    ),
    "question": (
        ("how do I contact you?", "is it true what they say about {org}?", "what is this account about?",
         "can you explain this post?"),
        ("كيف أتواصل معك؟", "هل صحيح ما يقال عن {org}؟", "ما هذا الحساب؟", "هل يمكنك شرح هذا المنشور؟"),
    ),
    "news_org": (
        ("{org} accounts resurfaced after the latest suspensions, analysts say {link}",
         "Officials in {region} deny claims made by {outlet} {link}",
         "Explainer: how {org} comes back after account bans {link}",
         "Report: dozens of accounts linked to {org} removed this week {link} {tag}",
         "Families in {region} describe life under pressure from {org} {link}"),
        ("تقرير: عودة حسابات مرتبطة بـ{org} بعد موجة الحذف {link}",
         "مسؤولون في {region} ينفون ادعاءات {outlet} {link}",
         "كيف تعود {org} بعد حذف حساباتها؟ {link} {tag}",
         "عائلات في {region} تتحدث عن الضغوط {link}"),
    ),
    "news_general": (
        ("Weather warning for {city} this weekend {link}", "Markets close higher after a calm week {link}",
         "Football: {team} win the derby {link} {tag}", "Transport strike expected in {city} {link}",
         "New hospital wing opens in {city} {link}"),
        ("تحذير من الطقس في {city} نهاية الأسبوع {link}", "الأسواق تغلق على ارتفاع {link}",
         "كرة القدم: فوز {team} في الديربي {link} {tag}", "إضراب متوقع في النقل في {city} {link}"),
    ),
    "news_quote": (
        ("{org}-linked account claims a new release; we could not verify it",
         "For context: this is what {outlet} posted today", "Claim by {org} supporters, unverified {tag}"),
        ("حساب مرتبط بـ{org} يزعم إصداراً جديداً ولم نتحقق منه", "للسياق: هذا ما نشره {outlet} اليوم",
         "ادعاء من أنصار {org}، غير مؤكد {tag}"),
    ),
    "religious": (
        ("Blessed Friday everyone {emoji}", "Reminder: {maxim} {tag}",
         "Don't forget to pray for your parents today {emoji}", "Grateful for another morning. {maxim}",
         "Faith is patience and gratitude {tag}", "Reflection of the day: {maxim}"),
        ("جمعة مباركة {emoji}", "الحمد لله على كل حال", "اللهم اغفر لنا ولوالدينا {emoji}",
         "تذكير: {maxim} {tag}", "صباح الخير والإيمان {emoji}", "لا تنسوا الدعاء لوالديكم",
         "تأمل اليوم: {maxim}"),
    ),
    "political": (
        ("Washington's policy in the region has failed again {tag}",
         "Another US promise forgotten. Nothing changes for us",
         "US foreign policy runs on double standards {tag}", "Why does the US always decide for others? {emoji}",
         "Neither {org} nor Washington speaks for us", "Sanctions hurt ordinary people, not governments {tag}"),
        ("سياسة واشنطن في المنطقة فشلت مرة أخرى {tag}", "لا نريد تدخلاً أمريكياً في شؤوننا",
         "أمريكا تكيل بمكيالين {emoji}", "لا {org} ولا واشنطن يمثلوننا", "العقوبات تضر الناس العاديين {tag}"),
    ),
    "counter": (
        ("Don't fall for {org}'s recruiters. Talk to your family first {tag}",
         "{org} promises belonging and delivers loneliness {tag}",
         "Former members of {org} describe broken promises {link}",
         "If someone online pushes you to cut off your family, that is a red flag {emoji}"),
        ("لا تصدقوا دعاية {org} {tag}", "{org} تعد بالانتماء وتقدم الوحدة",
         "أعضاء سابقون في {org} يتحدثون عن الوعود الكاذبة {link}", "تحدث مع عائلتك قبل أي شيء {emoji}"),
    ),
    "counter_reply": (
        ("this is false, and you know it", "people in {region} deserve better than your slogans",
         "nobody needs your 'new release' {emoji}", "talk to your mother before you post this"),
        ("هذا كلام غير صحيح", "أهل {region} يستحقون أفضل من شعاراتكم", "لا أحد يحتاج إصدارك الجديد {emoji}"),
    ),
    "researcher": (
        ("New paper: how suspended accounts return on social media {link}",
         "Our dataset on {org} accounts is available to researchers on request {link}",
         "Interesting: many suspended accounts come back within hours {tag}",
         "Slides from today's talk on platform takedowns {link}"),
        ("ورقة بحثية جديدة عن عودة الحسابات المحذوفة {link}", "بيانات جديدة عن حسابات {org} للباحثين {link}"),
    ),
    "parody": (
        ("Parody account. {org} is a joke {emoji}", "Unlike the original, this account only posts cat pictures {emoji}",
         "Breaking: {org} announces release no. {num}: a recipe for lentil soup",
         "This account was taken over by people who like peace {emoji}"),
        ("حساب ساخر. {org} مزحة {emoji}", "عاجل: {org} تعلن عن إصدار جديد: وصفة شوربة عدس",
         "هذا الحساب يحب السلام والقطط {emoji}"),
    ),
    "parody_reply": (
        ("nobody is listening {emoji}", "new account, same old story", "lol {emoji}"),
        ("لا أحد يستمع {emoji}", "حساب جديد، نفس القصة"),
    ),
    "spam": (
        ("Win a free phone! {link} {tag}", "1000 followers in one hour {link}",
         "Earn $500 a day from home {link} {tag}", "Hot deal: sunglasses 90% off {link} {emoji}", "{link} {tag}"),
        ("اربح هاتفاً مجانياً {link} {tag}", "زيادة متابعين بسرعة {link}", "عروض اليوم فقط {link} {emoji}",
         "{link} {tag}"),
    ),
    "ordinary": (
        ("Coffee first, then everything else {emoji}", "Can't believe {team} lost again",
         "Exams next week, wish me luck {emoji}", "Traffic in {city} is terrible today",
         "Best {food} in town, highly recommend {emoji}", "Watching the match with friends {tag}",
         "Monday again {emoji}", "Finally finished that book, what a ride",
         "Anyone know a good dentist in {city}?", "Happy birthday to my little brother {emoji}",
         "It's raining in {city} and I love it", "Working late again {tag}",
         "Weekend plans: sleep {emoji}", "That movie was way too long", "Cooking {food} tonight {emoji}",
         "Thank God it's the weekend", "Going back to {city} tomorrow", "New phone, who dis {emoji}"),
        ("صباح الخير {emoji}", "القهوة أولاً ثم كل شيء", "لا أصدق أن {team} خسر مرة أخرى",
         "الامتحانات الأسبوع القادم، ادعوا لي", "زحمة السير في {city} لا تطاق اليوم",
         "أفضل {food} في المدينة {emoji}", "نشاهد المباراة مع الأصدقاء {tag}", "الجو جميل اليوم في {city}",
         "عيد ميلاد سعيد لأخي الصغير {emoji}", "أخيراً عطلة نهاية الأسبوع", "الحمد لله على كل شيء",
         "مساء الخير للجميع", "سأسافر إلى {city} غداً", "أطبخ {food} الليلة {emoji}"),
    ),
    "ordinary_reply": (
        ("haha so true", "agreed {emoji}", "congrats!", "where is this?", "same here", "good luck!"),
        ("صحيح", "مبروك {emoji}", "الله يوفقك", "وأنا كذلك", "أين هذا؟"),
    ),
}

HASHTAGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "network": (("NewRelease", "Relay_Media", "SpreadTheWord", "Brothers", "ZephyrRelay"),
                ("إصدار_جديد", "انشروا", "الرابطة", "رابطة_زفير", "نشر")),
    "shoutout": (("shoutout", "SupportTheBrothers", "NewAccount"), ("حسابات_الإخوة", "دعم", "حساب_جديد")),
    "news": (("ZephyrRelay", "breaking", "world"), ("عاجل", "رابطة_زفير", "أخبار")),
    "religious": (("FridayReminder", "faith", "gratitude"), ("جمعة_مباركة", "ذكر", "دعاء")),
    "political": (("USpolicy", "NoMoreWars", "foreignpolicy"), ("سياسة", "واشنطن")),
    "counter": (("AskFirst", "RealStories", "ZephyrRelay"), ("فكر_مرتين", "قصص_حقيقية")),
    "researcher": (("research", "OnlineSafety", "TrustAndSafety"), ("بحث",)),
    "spam": (("giveaway", "follow", "win", "deal"), ("متابعين", "عروض", "هدية")),
    "ordinary": (("Monday", "football", "coffee", "weekend", "exams"), ("صباح_الخير", "كرة_القدم", "الجمعة", "قهوة")),
    "parody": (("parody", "ZephyrRelay"), ("ساخر",)),
}

EMOJI: dict[str, tuple[str, ...]] = {
    "network": ("🌙", "✨", "🌿", "📌", "📣", "🔥", "💪", "🌹", "🤍", "📖", "🕊️", "⭐"),
    "news": ("🔴", "📰", "⚡"),
    "religious": ("🤲", "🌙", "📖", "✨", "🌹", "🤍"),
    "political": ("🤔", "😡", "👎", "📉"),
    "counter": ("💬", "🤝", "🧠", "✅"),
    "researcher": ("📊", "📄", "🔍"),
    "spam": ("🔥", "💰", "🎁", "📱", "✅"),
    "parody": ("🐱", "😂", "🍲"),
    "ordinary": ("😂", "☕", "⚽", "😍", "🙏", "👍", "🎉", "😴", "📚", "🍕", "❤️", "😅"),
}

SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "network": (("stay steady", "keep the lamp lit", "onward", "remember us", "patience and light",
                 "until we meet", "keep sharing"),
                ("ثبتكم الله", "لا تنسونا من الدعاء", "بارك الله فيكم", "إلى اللقاء", "حفظكم الله",
                 "انشروا تؤجروا")),
    "religious": (("remember us in your prayers", "peace be with you all", "be grateful"),
                  ("بارك الله فيكم", "لا تنسونا من الدعاء", "جمعة مباركة")),
    "news": (("more soon", "developing"), ("متابعة", "التفاصيل قريباً")),
    "counter": (("talk before you click", "families first"), ("فكر مرتين",)),
    "ordinary": (("cheers", "have a nice day", "peace out", "stay safe"), ("تحياتي", "يسعد صباحكم", "دمتم بخير")),
}

BIOS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "network": (("{sig} | {region}", "Words from {region}. Account no. {gen}", "Here to share, not to argue",
                 "Backup account. They keep deleting", "Traveller between {region} and the sea",
                 "Student of knowledge. {sig}"),
                ("{sig} | {region}", "حساب احتياطي", "الحساب رقم {gen}", "مسافر بين {region} والبحر",
                 "طالب علم. {sig}", "كلمات من {region}")),
    "media": (("{outlet} | official releases", "{outlet}. Releases and news"),
              ("{outlet} | الإصدارات الرسمية", "{outlet} - إصدارات وأخبار")),
    "news": (("News and analysis from {region} and beyond", "Reporter covering {region}. Views my own",
              "{newsname}: breaking news and analysis"), ("أخبار وتحليلات", "مراسل في {region}")),
    "religious": (("Reminders about faith and good manners", "{maxim}"), ("تذكير ودعاء", "{maxim}")),
    "political": (("Opinions on foreign policy. RTs are not endorsements", "Against wars and double standards"),
                  ("رأيي في السياسة الخارجية", "ضد الحروب")),
    "counter": (("Helping young people ask first", "Counter-messaging. Real stories from former members"),
                ("قصص حقيقية ضد الدعاية",)),
    "researcher": (("Researcher, online extremism and platform governance. Views my own",
                    "PhD student studying account suspensions"), ("باحث في المنصات الرقمية",)),
    "spam": (("Best deals every day! DM for promo", "Followers fast, cheap prices"), ("عروض يومية", "متابعين بسرعة")),
    "parody": (("Parody account, not affiliated with anyone", "Satire. Laugh, don't hate"), ("حساب ساخر",)),
    "ordinary": (("coffee | football | {city}", "Student at {city} University", "Mom of two. Love books",
                  "Engineer. Tea over coffee", "", "{sig}", "", "living in {city}"),
                 ("أحب القراءة والسفر", "طالب جامعي في {city}", "", "{sig}", "", "من {city}")),
}
# Returnees often mark their bio; the "{gen}" is the account number (generation + 1).
RETURNEE_BIO_MARKS = (("back again", "account {gen}", "new account", "returned"),
                      ("عدنا", "الحساب {gen}", "حساب جديد"))

ARABIC_MALE: tuple[tuple[str, str], ...] = (
    ("ahmad", "أحمد"), ("omar", "عمر"), ("khalid", "خالد"), ("yusuf", "يوسف"), ("ali", "علي"),
    ("hasan", "حسن"), ("ibrahim", "إبراهيم"), ("salim", "سالم"), ("tariq", "طارق"), ("karim", "كريم"),
    ("nabil", "نبيل"), ("samir", "سمير"), ("walid", "وليد"), ("faris", "فارس"), ("hamza", "حمزة"),
    ("bilal", "بلال"), ("anas", "أنس"), ("zaid", "زيد"), ("amir", "أمير"), ("rashid", "راشد"),
    ("adel", "عادل"), ("jamal", "جمال"), ("mazin", "مازن"), ("fadi", "فادي"), ("yahya", "يحيى"),
    ("idris", "إدريس"), ("muadh", "معاذ"), ("harith", "حارث"), ("qasim", "قاسم"), ("nizar", "نزار"),
)
#: Syllables of invented place names; two make the place of a nisba ("al-Qarnadi", "القرندي").
NISBA_SYLLABLES: tuple[tuple[str, str], ...] = (
    ("qar", "قر"), ("sal", "سل"), ("mad", "مد"), ("bar", "بر"), ("nad", "ند"), ("zah", "زه"),
    ("tal", "طل"), ("ram", "رم"), ("haf", "حف"), ("kan", "كن"), ("sham", "شم"), ("lab", "لب"),
    ("jan", "جن"), ("dam", "دم"), ("fir", "فر"), ("wad", "ود"), ("saf", "صف"), ("ghan", "غن"),
    ("tam", "تم"), ("baq", "بق"), ("dir", "در"), ("kam", "كم"), ("hil", "هل"), ("zab", "زب"),
)
ARABIC_FEMALE: tuple[tuple[str, str], ...] = (
    ("maryam", "مريم"), ("fatima", "فاطمة"), ("aisha", "عائشة"), ("huda", "هدى"), ("noor", "نور"),
    ("sara", "سارة"), ("layla", "ليلى"), ("amal", "أمل"), ("rania", "رانيا"), ("salma", "سلمى"),
    ("hala", "هالة"), ("dina", "دينا"),
)
ENGLISH_FIRST = (
    "james", "emma", "liam", "olivia", "noah", "ava", "mason", "mia", "lucas", "zoe", "ethan", "chloe",
    "ryan", "grace", "owen", "ella", "jack", "lily", "adam", "hannah", "daniel", "sophie", "sam", "kate",
)
ENGLISH_LAST = (
    "smith", "jones", "brown", "taylor", "walker", "hughes", "clark", "lewis", "young", "hall", "wood",
    "scott", "green", "baker", "adams", "reid", "price", "ward", "bell", "cole",
)
HANDLE_WORDS = (
    "sky", "blue", "coffee", "river", "pixel", "moon", "star", "echo", "nova", "tiger", "falcon",
    "desert", "ocean", "cedar", "olive", "amber", "storm", "light", "dream", "lion", "rose", "north",
)
SPAM_WORDS = ("deals", "promo", "free", "win", "cash", "gift", "follow", "boost", "offer", "bonus")
# Handle affixes a returnee adds or drops to signal "same person, new account".
AFFIXES = ("real_", "_back", "2", "_new", "the_", "_again", "_ii", "x")

# Look-alike characters. Handles may only use [A-Za-z0-9_], so handle confusables are
# digit/letter swaps; display names can use Cyrillic/Greek letters and Arabic variants.
HANDLE_CONFUSABLES = {"o": "0", "0": "o", "l": "1", "i": "1", "1": "l", "e": "3", "3": "e",
                      "a": "4", "4": "a", "s": "5", "5": "s"}
NAME_CONFUSABLES = {
    "a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і",
    "A": "Α", "B": "Β", "E": "Ε", "H": "Η", "K": "Κ", "M": "Μ", "O": "Ο", "T": "Τ",
    "ي": "ی", "ك": "ک", "ه": "ة", "ا": "أ", "ى": "ي",
}
