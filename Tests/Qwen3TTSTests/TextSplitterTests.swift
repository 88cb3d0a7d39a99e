import Foundation
import Testing
@testable import Qwen3TTS

/// Sentence and paragraph segmentation of long text: each rule on small cases, then every mode
/// on a ~20,000-character multilingual text assembled from hand-written sentences.
@Suite struct TextSplitterTests {
    /// One character per unit, so budgets in the small cases read as character counts.
    static let characterCount: @Sendable (Substring) -> Int = { $0.count }

    func sentences(_ text: String) -> [String] { TextSplitter().sentences(text).map(\.text) }

    func split(_ text: String, _ mode: SplitMode, budget: Int = 150,
               measure: (@Sendable (Substring) -> Int)? = nil) -> [TextSegment] {
        TextSplitter(mode: mode, budget: budget, measure: measure).split(text)
    }

    // MARK: - Sentence boundaries

    @Test func terminalPunctuationEndsASentence() {
        #expect(sentences("It rained. Did it stop? No! It did not.")
                == ["It rained.", "Did it stop?", "No!", "It did not."])
        #expect(sentences("Really?! Yes!!! Fine?") == ["Really?!", "Yes!!!", "Fine?"])
    }

    @Test func numbersDoNotEndSentences() {
        #expect(sentences("Pi is 3.14 today. It costs 1,000 dollars. Update to v2.0.1 now. Growth was 12.5% this year. It was 1999. Then 2000 came.")
                == ["Pi is 3.14 today.", "It costs 1,000 dollars.", "Update to v2.0.1 now.", "Growth was 12.5% this year.",
                    "It was 1999.", "Then 2000 came."])
    }

    @Test func titlesAndNameAbbreviations() {
        #expect(sentences("Dr. Smith met Mr. Jones and Mrs. Brown. Ms. Green and Prof. White came too.")
                == ["Dr. Smith met Mr. Jones and Mrs. Brown.", "Ms. Green and Prof. White came too."])
        #expect(sentences("She lives near St. James Park. Martin Luther King Jr. was born in 1929. John Smith Sr. is retired. It was Lakers vs. Celtics.")
                == ["She lives near St. James Park.", "Martin Luther King Jr. was born in 1929.", "John Smith Sr. is retired.",
                    "It was Lakers vs. Celtics."])
        // A name abbreviation still ends a sentence when a new one plainly starts.
        #expect(sentences("I live on Main St. It is quiet.") == ["I live on Main St.", "It is quiet."])
    }

    @Test func latinAbbreviations() {
        #expect(sentences("We bought apples, pears, etc. and went home. We bought apples, pears, etc. Then we left.")
                == ["We bought apples, pears, etc. and went home.", "We bought apples, pears, etc.", "Then we left."])
        #expect(sentences("Use fruit, e.g. apples. Take one, i.e. the red one. It opens at 9 a.m. and closes at 5 p.m. The staff go home.")
                == ["Use fruit, e.g. apples.", "Take one, i.e. the red one.", "It opens at 9 a.m. and closes at 5 p.m.", "The staff go home."])
        #expect(sentences("He moved to the U.S. last year. The U.S. Army agreed. See No. 5 for details. No. I will not.")
                == ["He moved to the U.S. last year.", "The U.S. Army agreed.", "See No. 5 for details.", "No.", "I will not."])
    }

    @Test func initials() {
        #expect(sentences("The Hobbit was written by J. R. R. Tolkien in 1937. It sold well. I took vitamin C. It helped.")
                == ["The Hobbit was written by J. R. R. Tolkien in 1937.", "It sold well.", "I took vitamin C.", "It helped."])
    }

    @Test func urlsAndEmailAddresses() {
        #expect(sentences("Visit https://example.com/a.b?c=d. Then www.example.org is next. Mail first.last@example.co.uk. Done.")
                == ["Visit https://example.com/a.b?c=d.", "Then www.example.org is next.", "Mail first.last@example.co.uk.", "Done."])
        #expect(sentences("See www.example.org. Thanks! Write to a.b@c.io, or not.")
                == ["See www.example.org.", "Thanks!", "Write to a.b@c.io, or not."])
    }

    @Test func ellipses() {
        #expect(sentences("Wait... what was that? I heard… something. Then silence... Nothing else!?")
                == ["Wait... what was that?", "I heard… something.", "Then silence...", "Nothing else!?"])
    }

    @Test func closingQuotesAndBrackets() {
        #expect(sentences(#"He said, "Stop." Then he left. "Really?!" she asked. (It was late.) The end."#)
                == [#"He said, "Stop.""#, "Then he left.", #""Really?!" she asked."#, "(It was late.)", "The end."])
        #expect(sentences("“It’s done.” ‘Is it?’ «Oui.» [Sic.] Next.")
                == ["“It’s done.”", "‘Is it?’", "«Oui.»", "[Sic.]", "Next."])
    }

    @Test func chineseSentencesNeedNoSpace() {
        #expect(sentences("今天天气很好。我们去公园吧！你来吗？好的；走吧……出发")
                == ["今天天气很好。", "我们去公园吧！", "你来吗？", "好的；", "走吧……", "出发"])
        #expect(sentences("你好。 我很好。") == ["你好。", "我很好。"])
        #expect(sentences("真的吗?是的!") == ["真的吗?", "是的!"], "half-width ?! after CJK")
        #expect(sentences("访问example.com获取。价格是3.5元。") == ["访问example.com获取。", "价格是3.5元。"])
        #expect(sentences("他说：“你好。”然后走了。") == ["他说：“你好。”", "然后走了。"])
        #expect(sentences("他问：“你好吗？”，然后走了。I love Swift!我也是⋯⋯真的") == ["他问：“你好吗？”，然后走了。", "I love Swift!", "我也是⋯⋯", "真的"])
    }

    @Test func japaneseSentences() {
        #expect(sentences("今日は晴れです。散歩に行きましょう！「本当？」と彼は言った。『はい。』")
                == ["今日は晴れです。", "散歩に行きましょう！", "「本当？」と彼は言った。", "『はい。』"])
        #expect(sentences("「行く？」って聞いた。本当？とにかく行こう。") == ["「行く？」って聞いた。", "本当？", "とにかく行こう。"])
        #expect(sentences("안녕하세요. 반갑습니다.") == ["안녕하세요.", "반갑습니다."])
    }

    @Test func semicolons() {
        // Half-width ";" joins clauses of one sentence; full-width "；" ends one.
        #expect(sentences("I came; I saw. 我来了；我看见了。") == ["I came; I saw.", "我来了；", "我看见了。"])
    }

    @Test func lineBreaksEndSentences() {
        let text = "Chapter One\nThe night was dark.\n- first item\n- second item  \n1. Buy milk\n2. Call Dr. Lee"
        let result = TextSplitter().sentences(text)
        #expect(result.map(\.text) == ["Chapter One", "The night was dark.", "- first item", "- second item", "1. Buy milk", "2. Call Dr. Lee"])
        #expect(result.map(\.endsParagraph) == [false, false, false, false, false, true])
        // A number that ends a sentence mid-line is not a list marker.
        #expect(sentences("The answer is 42. Yes.") == ["The answer is 42.", "Yes."])
    }

    @Test func blankLinesEndParagraphs() {
        let text = "First one. Second one.\n\nThird one.\n  \n\nFourth\r\n\r\nFifth.\u{2029}Sixth."
        let result = TextSplitter().sentences(text)
        #expect(result.map(\.text) == ["First one.", "Second one.", "Third one.", "Fourth", "Fifth.", "Sixth."])
        #expect(result.map(\.endsParagraph) == [false, true, true, true, true, true])
        #expect(split(text, .paragraph).map(\.text) == ["First one. Second one.", "Third one.", "Fourth", "Fifth.", "Sixth."])
    }

    @Test func textWithoutFinalPunctuation() {
        #expect(sentences("Hello world") == ["Hello world"])
        #expect(sentences("First. Second") == ["First.", "Second"])
        #expect(sentences("你好世界") == ["你好世界"])
    }

    @Test func emptyAndWordlessInputGivesNoSegments() {
        for text in ["", "   ", " \n\n \t\r\n ", "...", "— … !!!", "***\n\n---\n\n。"] {
            for mode in SplitMode.allCases {
                #expect(split(text, mode).isEmpty, "\(mode) on \(text.debugDescription)")
            }
            #expect(TextSplitter().sentences(text).isEmpty)
        }
    }

    @Test func wordlessPiecesJoinANeighbour() {
        #expect(sentences("Hello. ... World.") == ["Hello. ...", "World."])
        #expect(sentences("Intro:\n—\nBody.") == ["Intro:\n—", "Body."])
        #expect(sentences("... Go on.\n\n***\n\nEnd.") == ["... Go on.", "End."])
    }

    // MARK: - Over-long sentences

    @Test func overLongSentenceIsCutAtTheClauseNearestTheBudget() {
        let text = "The quick brown fox, which was very quick indeed, jumped over the lazy dog; the dog did not care at all."
        let pieces = split(text, .sentence, budget: 60, measure: Self.characterCount)
        #expect(pieces.map(\.text) == ["The quick brown fox, which was very quick indeed,",
                                       "jumped over the lazy dog; the dog did not care at all."])
        #expect(pieces.map(\.endsSentence) == [false, true])
        #expect(pieces.map(\.endsParagraph) == [false, true])
        let dashes = split("Alpha beta gamma — delta epsilon zeta – eta theta.", .sentence, budget: 30, measure: Self.characterCount)
        #expect(dashes.map(\.text) == ["Alpha beta gamma —", "delta epsilon zeta –", "eta theta."])
    }

    @Test func overLongSentenceWithoutClausesIsCutAtWhitespace() {
        let text = "one two three four five six seven eight nine ten eleven twelve"
        let pieces = split(text, .auto, budget: 20, measure: Self.characterCount)
        #expect(pieces.map(\.text) == ["one two three four", "five six seven eight", "nine ten eleven", "twelve"])
        #expect(pieces.map(\.endsSentence) == [false, false, false, true])
        #expect(pieces.allSatisfy { $0.text.count <= 20 })
        // "1,000" and "10:30" are no clause boundaries.
        let numbers = split("At 10:30 we had 1,000 visitors and more", .sentence, budget: 20, measure: Self.characterCount)
        #expect(numbers.map(\.text) == ["At 10:30 we had", "1,000 visitors and", "more"])
    }

    @Test func overLongCJKWithoutPunctuationIsCutAtTheBudget() {
        let text = String(repeating: "灯塔的光照亮了海面", count: 4) + "。"
        let pieces = split(text, .sentence, budget: 10)
        #expect(pieces.map(\.text) == ["灯塔的光照亮了海面灯", "塔的光照亮了海面灯塔", "的光照亮了海面灯塔的", "光照亮了海面。"])
        #expect(pieces.map(\.endsSentence) == [false, false, false, true])
        let clauses = split("灯塔建于一八八七年，至今已有一百多年的历史，每天晚上都会亮起。", .sentence, budget: 22)
        #expect(clauses.map(\.text) == ["灯塔建于一八八七年，至今已有一百多年的历史，", "每天晚上都会亮起。"])
    }

    @Test func aWordOverTheBudgetStaysWhole() {
        let url = "https://example.com/" + String(repeating: "a", count: 80)
        let pieces = split("See \(url) for more.", .sentence, budget: 10, measure: Self.characterCount)
        #expect(pieces.map(\.text) == ["See", url, "for more."])
    }

    @Test func pathologicalInputStaysFast() {
        let inputs = [
            String(repeating: "灯塔的光照亮了海面", count: 5_000),             // 45,000 CJK characters, no punctuation
            String(repeating: "word ", count: 10_000),                      // one 50,000-character sentence
            String(repeating: "x", count: 30_000) + " end",                 // a word far over the budget
            String(repeating: "Dr. A. B. ", count: 3_000) + "Smith.",       // one sentence of abbreviations
        ]
        let clock = ContinuousClock()
        for text in inputs {
            for mode in [SplitMode.auto, .sentence] {
                var segments: [TextSegment] = []
                let elapsed = clock.measure { segments = split(text, mode) }
                #expect(elapsed < .seconds(2), "\(mode) on \(text.prefix(12))…: \(elapsed)")
                #expect(segments.map(\.text).joined().filter { !$0.isWhitespace } == text.filter { !$0.isWhitespace })
                #expect(segments.count > 1, "every input is far over the budget")
            }
        }
    }

    // MARK: - Modes

    @Test func autoKeepsTextWithinTheBudgetWhole() {
        let text = "  Hello there. How are you?\n\nI am fine, thanks!  \n"
        let segments = split(text, .auto)
        #expect(segments.count == 1)
        #expect(segments.first?.text == "Hello there. How are you?\n\nI am fine, thanks!")
        #expect(segments.first.map { String(text[$0.range]) } == segments.first?.text)
        #expect(segments.first?.endsParagraph == true && segments.first?.endsSentence == true)
        #expect(split(text, .sentence).count == 3)
        #expect(split(text, .none).map(\.text) == [text.trimmingCharacters(in: .whitespacesAndNewlines)])
    }

    @Test func autoGroupsSentencesUpToTheBudgetWithinParagraphs() {
        let text = "One two. Three four. Five six. Seven eight.\n\nNine ten. Eleven."
        let segments = split(text, .auto, budget: 20, measure: Self.characterCount)
        // "Five six. Seven eight." is 22 characters: over the budget, so two segments.
        #expect(segments.map(\.text) == ["One two. Three four.", "Five six.", "Seven eight.", "Nine ten. Eleven."])
        #expect(segments.map(\.endsParagraph) == [false, false, true, true])
        // The same paragraphs in paragraph mode: each fits, so each is one segment.
        #expect(split(text, .paragraph, budget: 50, measure: Self.characterCount).map(\.text)
                == ["One two. Three four. Five six. Seven eight.", "Nine ten. Eleven."])
    }

    @Test func rangesLocateTheTrimmedText() {
        let text = "  Hi there.\n\n  Bye now!  "
        for mode in SplitMode.allCases {
            for segment in split(text, mode, budget: 3) { #expect(String(text[segment.range]) == segment.text) }
        }
    }

    @Test func defaultMeasureApproximatesTokens() {
        #expect(TextSplitter.approximateTokenCount("") == 0)
        #expect(TextSplitter.approximateTokenCount("hello world!") == 3)
        #expect(TextSplitter.approximateTokenCount("你好世界") == 4)
        #expect(TextSplitter.approximateTokenCount("こんにちは。") == 6)
        #expect(TextSplitter.approximateTokenCount("hi 你好") == 3)
    }

    // MARK: - A long multilingual text

    @Test(arguments: SplitMode.allCases)
    func longMultilingualText(_ mode: SplitMode) throws {
        let corpus = LongText.make()
        let text = corpus.text
        #expect(text.count >= 20_000)
        let splitter = TextSplitter(mode: mode)
        for long in LongText.overLongSentences { try #require(splitter.measure(Substring(long)) > splitter.budget) }

        let clock = ContinuousClock()
        var segments: [TextSegment] = []
        let elapsed = clock.measure { segments = splitter.split(text) }
        print("TextSplitter \(mode): \(text.count) characters, \(segments.count) segments in \(elapsed)")
        #expect(elapsed < .seconds(2))

        func offset(_ i: String.Index) -> Int { text.utf8.distance(from: text.startIndex, to: i) }

        // (a) No text lost, duplicated or reordered.
        #expect(segments.map(\.text).joined().filter { !$0.isWhitespace } == text.filter { !$0.isWhitespace })
        for segment in segments {
            #expect(String(text[segment.range]) == segment.text)
            #expect(segment.text.first?.isWhitespace == false && segment.text.last?.isWhitespace == false)
        }

        let sentenceEnds = Set(corpus.sentences.map(\.end))
        let sentenceStarts = Set(corpus.sentences.map(\.start))
        let paragraphEnds = Set(corpus.sentences.filter(\.endsParagraph).map(\.end))
        let longRanges = corpus.sentences.filter(\.isOverLong).map { $0.start..<$0.end }
        var previous: TextSegment?
        for segment in segments {
            let (start, end) = (offset(segment.range.lowerBound), offset(segment.range.upperBound))
            // (b) Boundaries fall where hand-written sentences end, or inside an over-long one.
            if segment.endsSentence {
                #expect(sentenceEnds.contains(end), "segment ends inside a sentence: \(segment.text.suffix(40))")
            } else {
                #expect(longRanges.contains { $0.contains(end) }, "cut outside the over-long sentences: \(segment.text.suffix(40))")
            }
            if previous?.endsSentence ?? true {
                #expect(sentenceStarts.contains(start), "segment starts inside a sentence: \(segment.text.prefix(40))")
            }
            // (c) Within the budget.
            if mode != .none {
                #expect(splitter.measure(text[segment.range]) <= splitter.budget, "over budget: \(segment.text.prefix(40))")
            }
            // (e) Paragraph ends exactly where the hand-written paragraphs end.
            #expect(segment.endsParagraph == paragraphEnds.contains(end), "\(segment.text.suffix(40))")
            previous = segment
        }

        switch mode {
        case .none:
            #expect(segments.count == 1)
        case .sentence:
            // (d) Exactly the hand-written sentences; over-long ones in pieces that cover them.
            var pieces: [TextSegment] = []
            var index = 0
            for segment in segments {
                pieces.append(segment)
                guard segment.endsSentence else { continue }
                let expected = try #require(index < corpus.sentences.count ? corpus.sentences[index] : nil)
                #expect(offset(pieces[0].range.lowerBound) == expected.start && offset(segment.range.upperBound) == expected.end)
                if expected.isOverLong {
                    #expect(pieces.count >= 2)
                    for piece in pieces.dropLast() {
                        #expect(piece.text.last.map { ",;，".contains($0) } == true, "cut at a clause: \(piece.text.suffix(20))")
                    }
                } else {
                    #expect(pieces.count == 1 && segment.text == expected.text)
                }
                pieces = []
                index += 1
            }
            #expect(index == corpus.sentences.count && pieces.isEmpty)
            // sentences() returns exactly the hand-written sentences, uncut.
            let found = splitter.sentences(text)
            #expect(found.map(\.text) == corpus.sentences.map(\.text))
            #expect(found.map(\.endsParagraph) == corpus.sentences.map(\.endsParagraph))
        case .auto, .paragraph:
            // Greedy grouping: a segment could not have taken the next sentence (or piece) too.
            let units = TextSplitter(mode: .sentence).split(text)
            let unitEnd = Dictionary(units.map { (offset($0.range.lowerBound), $0.range.upperBound) }, uniquingKeysWith: { a, _ in a })
            for (a, b) in zip(segments, segments.dropFirst()) where !a.endsParagraph && a.endsSentence {
                let nextEnd = try #require(unitEnd[offset(b.range.lowerBound)])
                #expect(splitter.measure(text[a.range.lowerBound..<nextEnd]) > splitter.budget,
                        "could have grouped: \(a.text.suffix(30)) | \(b.text.prefix(30))")
            }
            #expect(segments.count < units.count / 2, "sentences are grouped")
        }
    }
}

/// The long test text: hand-written paragraphs in English, Chinese, Japanese and Korean, repeated
/// with small variations (numbers, spacing, paragraph separators, order) to 20,000 characters.
enum LongText {
    struct Sentence {
        var text: String
        var start: Int  // UTF-8 offsets into the text
        var end: Int
        var endsParagraph: Bool
        var isOverLong: Bool
    }

    enum Script { case latin, cjk }

    struct Paragraph {
        var script: Script
        var lines: [[String]]
        init(_ script: Script, _ sentences: [String]) { self.script = script; lines = [sentences] }
        init(_ script: Script, lines: [[String]]) { self.script = script; self.lines = lines }
    }

    static let overLongSentences = [
        "When the new relay finally arrived on Friday afternoon, packed in a crate that was far too large for it and padded with enough shredded newspaper to fill a bathtub, Eleanor and Sam carried it up all two hundred and nineteen steps together, pausing on every landing to catch their breath, to argue about whether the old relay had really been the culprit, to admire the view of the harbour, which was turning silver in the late light, and to listen to the gulls that circled the gallery as if they wanted to inspect the work themselves; by the time they reached the lamp room the sun had nearly set, the wind had picked up from the north, and the first fishing boats were already heading out past the breakwater, their small lights bobbing on the dark water like a string of loose beads.",
        "新的继电器终于在星期五下午送到了，装在一个对它来说实在太大的木箱里，里面塞满了足够装满一个浴缸的碎报纸，埃莉诺和山姆一起把它抬上了全部二百一十九级台阶，每到一个平台都要停下来喘口气，争论一下旧继电器到底是不是罪魁祸首，欣赏一下在傍晚的光线里渐渐变成银色的港湾，再听一听那些绕着观景台盘旋的海鸥，仿佛它们也想亲自检查这项工作一样，等他们终于走到灯室的时候，太阳几乎已经落山了，北风也越刮越大，第一批渔船已经驶过防波堤出海去了，船上的小灯在漆黑的海面上一闪一闪。",
    ]

    static let paragraphs: [Paragraph] = [
        Paragraph(.latin, [
            "Dr. Eleanor Vance arrived at the St. Augustine lighthouse at 6:45 a.m. on a grey Tuesday in March.",
            "She had driven 1,250 miles from Boston, stopping only twice for coffee and gas.",
            "The keeper, Mr. Thomas Hale Jr., met her at the gate with a lantern that was not strictly necessary.",
            #""You must be the engineer from the U.S. Coast Guard," he said."#,
            #""I am," she replied, "although today I am mostly a tourist with a clipboard.""#,
            "The lamp had been dimming by roughly 12.5% per year since 2019, i.e. faster than any model predicted.",
            "Prof. Okafor's report, No. {n} in the series, blamed salt spray, cheap gaskets, etc. and nothing else.",
            "Was he right?",
            "Nobody at the station seemed to know!",
        ]),
        Paragraph(.latin, [
            "The control software, version 2.0.{n}, was last updated on 03.04.2021 by a contractor.",
            "Its manual lives at https://example.com/docs/lighthouse.v2?lang=en&page=3 and nowhere else.",
            "Questions can be sent to first.last@example.co.uk or to support@lights.example.org.",
            "For the source code, see www.example.org/src/main.swift.",
            "Pi is about 3.14159, and the tower is 47.5 m tall.",
            "Eleanor checked the wiring first... then the fuses.",
            "Everything looked fine…",
            "But the lamp still flickered, twice a minute, like a slow heartbeat.",
            #"She wrote "replace relay K3" in her notebook and underlined it."#,
        ]),
        Paragraph(.latin, lines: [
            ["Checklist for the night shift"],
            ["1. Inspect the lens for cracks"],
            ["2. Log the voltage at 10 p.m. sharp"],
            ["3. Call Ms. Rivera if anything reads above 240 V"],
            ["- Bring spare fuses (type F2.5A)"],
        ]),
        Paragraph(.cjk, [
            "灯塔建于1887年，至今已有一百多年的历史。",
            "每天晚上，灯光可以照到二十海里以外的海面！",
            "你知道它为什么会闪烁吗？",
            "工程师说，问题可能出在继电器上；",
            "也可能只是电压不稳……",
            "她决定明天早上八点再检查一遍。",
            "详细信息请访问https://example.cn/report.html。",
            "联系邮箱是wang.lei@example.com.cn。",
            "温度计显示的是23.5度，湿度为8{n}%。",
            "他们一共花了3.5个小时，比计划多了整整一倍！",
        ]),
        Paragraph(.cjk, [
            "灯台の光は毎晩二十海里先まで届きます。",
            "「本当ですか？」と彼女は聞きました。",
            "技術者によると、原因はリレーの故障かもしれません！",
            "明日の朝、もう一度確認する予定です。",
            "詳しくは www.example.jp をご覧ください。",
            "バージョン2.0.{n}では、光の強さが12.5%向上しました。",
            "山田さんは yamada.taro@example.co.jp に連絡してください、と言いました。",
            "本当に？",
            "はい、本当です。",
        ]),
        Paragraph(.latin, [
            "Mrs. Chen said the words quietly: 我们明天再来。",
            #"The Japanese guide calls it 灯台, which simply means "lamp tower.""#,
            "In the U.S. it would be called a light station, not a lighthouse.",
            #"Korean visitors write it as 등대, and they pronounce it "deung-dae.""#,
            "안녕하세요.",
            "등대에 오신 것을 환영합니다.",
            "Dr. Wang 说：“这个问题我们下周再讨论。”",
        ]),
        Paragraph(.latin, [
            #""Is it the relay?" asked Sam Ortiz Sr., who had kept the light for thirty years."#,
            #""Maybe," said Eleanor."#,
            #""Or maybe it's the ghost that Mr. Hale keeps talking about.""#,
            "Sam kept a worn copy of The Hobbit by J. R. R. Tolkien on the windowsill.",
            "They laughed (nervously) and went upstairs.",
            "The stairs numbered 219 vs. the 200 promised in the brochure.",
            "At 11 p.m. the lamp finally stopped flickering.",
            "Why had it stopped?!",
        ]),
        Paragraph(.latin, [
            "Eleanor filed her report the next morning and sent a copy to keeper@lighthouse.example.net.",
            "A summary was posted at https://example.com/a.b?c=d.",
            "The coast guard replied within an hour, which surprised everyone.",
            "They promised a new relay, a new lens gasket, and two boxes of fuses by Friday.",
            "Sam said it was the fastest response since the storm of '98.",
        ]),
        Paragraph(.latin, [
            "The new lamp draws 1,000 W at 230 V and is rated for 20,000 hours.",
            "Over five years that is roughly 8.76 MWh, or about €1,314.50 at current prices.",
            "Compared with the old 2,500 W bulb, the saving is about 60%.",
            "Ms. Rivera calculated the payback period: 3.{n} years.",
            "Not bad for a building from 1887!",
        ]),
        Paragraph(.latin, [overLongSentences[0], "It was, Sam said later, the best evening of the whole year."]),
        Paragraph(.cjk, [overLongSentences[1], "那天晚上，灯塔的光一次也没有闪烁。"]),
        Paragraph(.latin, [
            "The logbook entry for that night is only three words long.",
            #"It reads: "Lamp steady, relay replaced, tea cold.""#,
            "Sam's grandson, who studies at St. Andrews, wants to turn the story into a podcast.",
            "Episode No. 1 is due out on 14.02.2025, if the microphones arrive.",
            "Until then... well, the lighthouse keeps its own schedule.",
            "So does Dr. Vance.",
            "She still visits every spring, e.g. to check the relay, and stays at the inn on Harbor St. near the pier.",
        ]),
    ]

    static func make(characters: Int = 20_000) -> (text: String, sentences: [Sentence]) {
        var text = ""
        var sentences: [Sentence] = []
        var round = 0
        while text.count < characters {
            let order = paragraphs.indices.map { paragraphs[($0 + round) % paragraphs.count] }
            for paragraph in order {
                if !text.isEmpty { text += ["\n\n", "\n \n", "\n\n\n", "\r\n\r\n"][round % 4] }
                let joiner = paragraph.script == .cjk ? ["", " "][round % 2] : [" ", "  ", "\n"][round % 3]
                for (l, line) in paragraph.lines.enumerated() {
                    if l > 0 { text += "\n" }
                    for (s, template) in line.enumerated() {
                        if s > 0 { text += joiner }
                        let sentence = template.replacingOccurrences(of: "{n}", with: String(round + 2))
                        let start = text.utf8.count
                        text += sentence
                        let endsParagraph = l == paragraph.lines.count - 1 && s == line.count - 1
                        sentences.append(Sentence(text: sentence, start: start, end: text.utf8.count,
                                                  endsParagraph: endsParagraph, isOverLong: overLongSentences.contains(sentence)))
                    }
                }
            }
            round += 1
        }
        return (text, sentences)
    }
}
