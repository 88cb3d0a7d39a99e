// Voices: upload (x-vector and in-context), list, speak with, delete; the SQLite library survives a
// restart; inline ref_audio; and every bad upload gets a clear error.

import AudioIO
import Foundation
import Qwen3TTS
@testable import Qwen3TTSServer
import Testing

func upload(_ s: LiveServer, name: String?, consent: String? = "speaker agreed on 2026-12-01", refText: String? = nil,
            audio: Data?, filename: String = "ref.wav") async throws -> HTTPResponse {
    var fields: [(String, String)] = []
    if let name { fields.append(("name", name)) }
    if let consent { fields.append(("consent", consent)) }
    if let refText { fields.append(("ref_text", refText)) }
    let (type, body) = multipart(fields: fields, file: audio.map { ("audio_sample", filename, "audio/wav", $0) })
    return try await http("POST", s.port, "/v1/audio/voices", headers: ["Content-Type": type], body: body)
}

extension ServerTests {
    @Suite struct Voices {
        @Test func uploadListSpeakDeleteAndSurviveARestart() async throws {
            let dataDir = temporaryDirectory("voices")
            let wav = try referenceWAV
            var s = try await LiveServer.start("base", dataDirectory: dataDir)
            do {
                let x = try await upload(s, name: "alice", audio: wav)
                #expect(x.status == 201, "\(x.text)")
                let voice = try #require(x.json?["voice"] as? [String: Any])
                #expect(voice["name"] as? String == "alice" && voice["mode"] as? String == "x_vector")
                #expect(voice["file_size"] as? Int == wav.count)
                let icl = try await upload(s, name: "bob", refText: "The reference transcript.", audio: wav)
                #expect(icl.status == 201 && (icl.json?["voice"] as? [String: Any])?["mode"] as? String == "icl")

                let list = try await s.get("/v1/audio/voices")
                #expect(list.json?["voices"] as? [String] == ["alice", "bob"])
                #expect((list.json?["uploaded_voices"] as? [[String: Any]])?.map { $0["ref_text"] is NSNull } == [true, false])

                // Speaking with a stored voice gives what the library gives with the stored prompt.
                let stored = try #require(try await s.server.store.get("bob"))
                let prompt = try VoiceFile.decode(stored.voice, name: "bob", for: s.server.model)
                #expect(prompt.referenceCodes != nil && prompt.referenceText == "The reference transcript.")
                let expected = try await libraryAudio(s, SpeechRequest(text: "Cloned words.", voice: prompt), overrides(seed: 5, maxNewTokens: 8))
                let r = try await s.post("/v1/audio/speech", ["input": "Cloned words.", "voice": "bob", "task_type": "Base", "seed": 5,
                                                        "max_new_tokens": 8, "response_format": "pcm"])
                #expect(r.status == 200 && r.body == PCM.s16le(expected))

                let again = try await upload(s, name: "alice", audio: wav)
                #expect(again.status == 409 && again.error?["code"] as? String == "voice_exists")
            } catch {
                await s.stop()
                throw error
            }
            await s.stop()

            // A new server over the same data folder has the same voices.
            s = try await LiveServer.start("base", dataDirectory: dataDir)
            do {
                #expect(try await s.get("/v1/audio/voices").json?["voices"] as? [String] == ["alice", "bob"])
                let r = try await s.post("/v1/audio/speech", ["input": "After a restart.", "voice": "alice", "max_new_tokens": 5])
                #expect(r.status == 200 && r.headers["content-type"] == "audio/wav")
                #expect(try await s.request("DELETE", "/v1/audio/voices/alice").status == 200)
                let gone = try await s.request("DELETE", "/v1/audio/voices/alice")
                #expect(gone.status == 404 && gone.error?["type"] as? String == "not_found_error")
                #expect(try await s.get("/v1/audio/voices").json?["voices"] as? [String] == ["bob"])
                let unknown = try await s.post("/v1/audio/speech", ["input": "Hi.", "voice": "alice"])
                #expect(unknown.status == 400 && unknown.error?["param"] as? String == "voice")
            } catch {
                await s.stop()
                throw error
            }
            await s.stop()
        }

        @Test func inlineReferenceAudioClones() async throws {
            let s = try await LiveServer.start("base")
            do {
                let wav = try referenceWAV
                let dataURL = "data:audio/wav;base64," + wav.base64EncodedString()
                let icl = try await s.post("/v1/audio/speech", ["input": "Inline clone.", "ref_audio": dataURL, "ref_text": "Reference words.",
                                                          "max_new_tokens": 5, "response_format": "pcm"])
                #expect(icl.status == 200 && icl.body.count == 4 * 1920 * 2)
                let xvec = try await s.post("/v1/audio/speech", ["input": "Inline clone.", "ref_audio": wav.base64EncodedString(),
                                                           "x_vector_only_mode": true, "max_new_tokens": 5])
                #expect(xvec.status == 200)
                let noText = try await s.post("/v1/audio/speech", ["input": "Hi.", "ref_audio": dataURL])
                #expect(noText.status == 400 && noText.error?["param"] as? String == "ref_text")
                let garbage = try await s.post("/v1/audio/speech", ["input": "Hi.", "ref_audio": Data("not audio at all".utf8).base64EncodedString(),
                                                              "x_vector_only_mode": true])
                #expect(garbage.status == 400 && garbage.error?["param"] as? String == "ref_audio", "\(garbage.text)")
                let notBase64 = try await s.post("/v1/audio/speech", ["input": "Hi.", "ref_audio": "data:audio/wav;base64,***",
                                                                "x_vector_only_mode": true])
                #expect(notBase64.status == 400)
                let noVoice = try await s.post("/v1/audio/speech", ["input": "Hi."])
                #expect(noVoice.status == 400 && noVoice.error?["param"] as? String == "voice")
            } catch {
                await s.stop()
                throw error
            }
            await s.stop()
        }

        @Test func badUploadsGetClearErrors() async throws {
            let s = try await LiveServer.start("base", configure: { $0.maxUploadBytes = 1 << 20 })
            do {
                let wav = try referenceWAV
                let cases: [(HTTPResponse, Int, String?)] = [
                    (try await upload(s, name: nil, audio: wav), 400, "name"),
                    (try await upload(s, name: "../etc", audio: wav), 400, "name"),
                    (try await upload(s, name: "carol", consent: nil, audio: wav), 400, "consent"),
                    (try await upload(s, name: "carol", audio: nil), 400, "audio_sample"),
                    (try await upload(s, name: "carol", audio: Data("RIFF....WAVEjunk".utf8)), 400, "audio_sample"),
                    (try await upload(s, name: "carol", audio: WAV.encode([Float](repeating: 0, count: 48000), sampleRate: 24000)), 400, "audio_sample"),
                    (try await upload(s, name: "carol", audio: Data(repeating: 1, count: 2 << 20)), 413, nil),
                    (try await http("POST", s.port, "/v1/audio/voices", headers: ["Content-Type": "application/json"], body: Data("{}".utf8)), 415, nil),
                    (try await http("POST", s.port, "/v1/audio/voices", headers: ["Content-Type": "multipart/form-data; boundary=zz"],
                              body: Data("garbage".utf8)), 400, nil),
                ]
                for (i, (r, status, param)) in cases.enumerated() {
                    #expect(r.status == status, "case \(i): \(r.status) \(r.text)")
                    #expect(r.error?["message"] is String, "case \(i): \(r.text)")
                    if let param { #expect(r.error?["param"] as? String == param, "case \(i): \(r.text)") }
                }
                #expect(try await s.get("/v1/audio/voices").json?["voices"] as? [String] == [], "nothing was stored")
            } catch {
                await s.stop()
                throw error
            }
            await s.stop()
            try await withServer("custom_voice") { s in
                let r = try await upload(s, name: "dave", audio: try referenceWAV)
                #expect(r.status == 400 && r.error?["code"] as? String == "unsupported_task")
                let list = try await s.get("/v1/audio/voices")
                #expect(list.json?["voices"] as? [String] == ["dylan", "eric", "ryan", "vivian"])
            }
        }
    }
}

extension LiveServer {
    func request(_ method: String, _ path: String) async throws -> HTTPResponse { try await http(method, port, path) }
}
