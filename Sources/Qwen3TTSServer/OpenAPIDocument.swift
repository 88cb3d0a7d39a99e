// The OpenAPI 3.1 description of every endpoint, served at /openapi.json. Keep it in step with
// Application+build.swift and SpeechParameters.swift (schemathesis checks the live server against it).
enum OpenAPIDocument {
    static let json: String = ##"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Qwen3-TTS server",
    "version": "1.0.0",
    "description": "An OpenAI-compatible text-to-speech server for Qwen3-TTS checkpoints: POST /v1/audio/speech streams speech, /v1/audio/voices manages cloned voices (Base checkpoints), /v1/models names the loaded model. Requests to /v1/* need `Authorization: Bearer <key>` when the server was started with --api-key (or QWEN3TTS_API_KEY); otherwise no key is checked. Every error, including an unknown route (404) or a method a route does not allow (405), has the OpenAI error body {\"error\": {\"message\", \"type\", \"param\", \"code\"}}. Every response carries an X-Request-Id header."
  },
  "tags": [
    {
      "name": "Audio"
    },
    {
      "name": "Models"
    },
    {
      "name": "Voices"
    },
    {
      "name": "Operations"
    }
  ],
  "paths": {
    "/v1/audio/speech": {
      "post": {
        "operationId": "createSpeech",
        "tags": [
          "Audio"
        ],
        "summary": "Generate speech from text",
        "description": "Synthesizes `input` with the loaded model and streams the audio as it is generated. What selects the voice depends on the checkpoint: a CustomVoice model takes `voice` (a built-in speaker) and optional `instructions`; a VoiceDesign model needs `instructions` describing the voice; a Base model needs `voice` (an uploaded voice) or `ref_audio` (with `ref_text`, or `x_vector_only_mode`). The status is decided before the first byte is sent; a failure after that cuts an audio stream short, or ends an SSE stream with an error event. The body is limited to about 4/3 of the upload limit plus room for the text (about 28 MB by default).",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/SpeechRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The audio, streamed as it is made, in the Content-Type of response_format (wav: audio/wav, 16-bit mono, with a header written before its length is known; pcm: audio/pcm, headerless 16-bit little-endian mono at the model's rate (24 kHz); flac: audio/flac; mp3: audio/mpeg; opus: audio/ogg), or text/event-stream with stream_format sse.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/X-Request-Id"
              },
              "Cache-Control": {
                "description": "no-cache",
                "schema": {
                  "type": "string"
                }
              }
            },
            "content": {
              "audio/wav": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              },
              "audio/pcm": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              },
              "audio/flac": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              },
              "audio/mpeg": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              },
              "audio/ogg": {
                "schema": {
                  "type": "string",
                  "format": "binary"
                }
              },
              "text/event-stream": {
                "schema": {
                  "type": "object",
                  "description": "One server-sent event. With stream_format sse: server-sent events, each one `data: <JSON>` line followed by a blank line (no event names, no [DONE]). Events: {\"type\": \"speech.audio.delta\", \"audio\": <base64 of the next bytes of the audio encoded in response_format>}, as many as there are chunks; then {\"type\": \"speech.audio.done\", \"usage\": {\"input_tokens\": <prompt tokens>, \"output_tokens\": <codec frames>, \"total_tokens\": <their sum>}}. A failure after the stream has begun ends it with {\"type\": \"error\", \"error\": {\"message\", \"type\", \"param\", \"code\"}} instead of the done event.",
                  "required": [
                    "data"
                  ],
                  "properties": {
                    "data": {
                      "type": "string",
                      "description": "The event's JSON: a speech.audio.delta, speech.audio.done or error object.",
                      "contentMediaType": "application/json"
                    },
                    "event": {
                      "type": "string"
                    },
                    "id": {
                      "type": "string"
                    },
                    "retry": {
                      "type": "integer"
                    }
                  }
                },
                "example": "data: {\"type\":\"speech.audio.delta\",\"audio\":\"UklGRv////9XQVZF\"}\n\ndata: {\"type\":\"speech.audio.done\",\"usage\":{\"input_tokens\":24,\"output_tokens\":50,\"total_tokens\":74}}\n\n"
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest",
            "description": "The request is invalid: the body is not a JSON object; a field is missing, mistyped or out of range; the voice is unknown; task_type or ref_audio does not suit the loaded checkpoint; the reference audio cannot be used; or response_format's codec library is missing (`param` and `code` say which)."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound",
            "description": "`model` names a model this server does not run."
          },
          "413": {
            "$ref": "#/components/responses/ContentTooLarge",
            "description": "The request body, or the decoded `ref_audio`, is over the server's limit (body_too_large, audio_too_large)."
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
            "description": "Generation or encoding failed, or a stored voice is unusable."
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable",
            "description": "The server is shutting down (shutting_down, with Retry-After), or the voice database is unavailable while looking up `voice`."
          }
        }
      }
    },
    "/v1/models": {
      "get": {
        "operationId": "listModels",
        "tags": [
          "Models"
        ],
        "summary": "List models",
        "description": "The one model this server runs.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "responses": {
          "200": {
            "description": "The model list.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/X-Request-Id"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          }
        }
      }
    },
    "/v1/models/{id}": {
      "get": {
        "operationId": "retrieveModel",
        "tags": [
          "Models"
        ],
        "summary": "Retrieve a model",
        "description": "The loaded model, under any name `model` accepts (its id, the id's last path component, qwen3-tts, tts-1, tts-1-hd, gpt-4o-mini-tts); the body always carries the server's own id.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            },
            "description": "The model name."
          }
        ],
        "responses": {
          "200": {
            "description": "The model.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/X-Request-Id"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Model"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound",
            "description": "No such model (code not_found)."
          }
        }
      }
    },
    "/v1/audio/voices": {
      "get": {
        "operationId": "listVoices",
        "tags": [
          "Voices"
        ],
        "summary": "List voices",
        "description": "The built-in speakers of the loaded model and the uploaded voices.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "responses": {
          "200": {
            "description": "The voices.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/X-Request-Id"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/VoiceList"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable",
            "description": "The voice database is unavailable (database_unavailable)."
          }
        }
      },
      "post": {
        "operationId": "uploadVoice",
        "tags": [
          "Voices"
        ],
        "summary": "Upload a voice",
        "description": "Stores a voice cloned from a recording, for use by name as `voice` with a Base model (other checkpoints answer 400). The voice prompt is computed at upload: with `ref_text` the voice uses in-context cloning (mode icl), without it the speaker embedding only (mode x_vector). Names are never replaced: delete a voice before reusing its name. The whole body may be at most the upload limit (20 MiB by default, --max-upload-mb) plus 64 KiB.",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "multipart/form-data": {
              "schema": {
                "type": "object",
                "required": [
                  "audio_sample",
                  "name",
                  "consent"
                ],
                "properties": {
                  "audio_sample": {
                    "type": "string",
                    "format": "binary",
                    "description": "The recording: WAV, or any format libsndfile reads (FLAC, Ogg, MP3, ...); 1 to 60 seconds of speech, not silent."
                  },
                  "name": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 64,
                    "pattern": "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$",
                    "description": "The voice's name: 1-64 ASCII letters, digits, '_', '-' or '.', not starting with '.', and not a built-in speaker's name (case-insensitive)."
                  },
                  "consent": {
                    "type": "string",
                    "minLength": 1,
                    "description": "A record that the speaker agreed to this voice being cloned (must not be blank); stored verbatim."
                  },
                  "ref_text": {
                    "type": "string",
                    "description": "The transcript of the recording, for in-context cloning (optional)."
                  }
                }
              },
              "encoding": {
                "audio_sample": {
                  "contentType": "audio/*, application/octet-stream"
                }
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "The voice was stored.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/X-Request-Id"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/VoiceUploadResponse"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest",
            "description": "A part is missing, empty or invalid (missing_field, invalid_value), the multipart body is malformed (invalid_multipart), the recording cannot be used (invalid_audio), or the loaded checkpoint is not a Base model (unsupported_task)."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "409": {
            "$ref": "#/components/responses/Conflict",
            "description": "An uploaded voice or a built-in speaker already has this name (voice_exists)."
          },
          "413": {
            "$ref": "#/components/responses/ContentTooLarge",
            "description": "The upload is over the limit (body_too_large)."
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "500": {
            "$ref": "#/components/responses/InternalError",
            "description": "Computing or encoding the voice prompt failed."
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable"
          }
        }
      }
    },
    "/v1/audio/voices/{name}": {
      "delete": {
        "operationId": "deleteVoice",
        "tags": [
          "Voices"
        ],
        "summary": "Delete an uploaded voice",
        "security": [
          {
            "bearerAuth": []
          }
        ],
        "parameters": [
          {
            "name": "name",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            },
            "description": "The uploaded voice's name (case-sensitive)."
          }
        ],
        "responses": {
          "200": {
            "description": "The voice was deleted.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/X-Request-Id"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeleteResponse"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound",
            "description": "No uploaded voice has this name (built-in speakers cannot be deleted)."
          },
          "500": {
            "$ref": "#/components/responses/InternalError"
          },
          "503": {
            "$ref": "#/components/responses/ServiceUnavailable",
            "description": "The voice database is unavailable (database_unavailable)."
          }
        }
      }
    },
    "/health": {
      "get": {
        "operationId": "health",
        "tags": [
          "Operations"
        ],
        "summary": "Liveness",
        "description": "Answers while the process serves HTTP.",
        "security": [],
        "responses": {
          "200": {
            "description": "Alive.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/X-Request-Id"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                }
              }
            }
          }
        }
      }
    },
    "/ready": {
      "get": {
        "operationId": "ready",
        "tags": [
          "Operations"
        ],
        "summary": "Readiness",
        "description": "Ready once the warm-up has run every generation path of the checkpoint and tried each response format.",
        "security": [],
        "responses": {
          "200": {
            "description": "Ready.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/X-Request-Id"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Ready"
                }
              }
            }
          },
          "503": {
            "description": "Not ready yet (warming up), or a warm-up path failed.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/X-Request-Id"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Ready"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "tags": [
          "Operations"
        ],
        "summary": "Prometheus metrics",
        "description": "Request counts by route and status, time to first audio, real-time factor, queue depth, active streams and frame rate, in the Prometheus text format (version 0.0.4).",
        "security": [],
        "responses": {
          "200": {
            "description": "The metrics.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/X-Request-Id"
              }
            },
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi",
        "tags": [
          "Operations"
        ],
        "summary": "This document",
        "security": [],
        "responses": {
          "200": {
            "description": "The OpenAPI description of this server.",
            "headers": {
              "X-Request-Id": {
                "$ref": "#/components/headers/X-Request-Id"
              }
            },
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "SpeechRequest": {
        "type": "object",
        "description": "The body of POST /v1/audio/speech: OpenAI's fields plus the extensions other Qwen3-TTS servers accept (named as vLLM-Omni names them). Every field but `input` is optional, and a field sent as null counts as absent. Unknown fields are ignored. A value of the wrong type or out of range is a 400 whose `param` names the field.",
        "required": [
          "input"
        ],
        "properties": {
          "input": {
            "type": "string",
            "minLength": 1,
            "maxLength": 4096,
            "description": "The text to speak; must not be only whitespace; at most 4096 characters (the server's --max-input, 4096 by default)."
          },
          "model": {
            "type": [
              "string",
              "null"
            ],
            "description": "The model to use: this server's model id (GET /v1/models), its last path component, qwen3-tts, tts-1, tts-1-hd or gpt-4o-mini-tts all mean the loaded model; any other name is a 404."
          },
          "voice": {
            "description": "A built-in speaker of a CustomVoice model (case-insensitive; default Vivian) or the name of an uploaded voice for a Base model, as a string or as {\"id\": name}.",
            "anyOf": [
              {
                "type": "string"
              },
              {
                "type": "object",
                "required": [
                  "id"
                ],
                "properties": {
                  "id": {
                    "type": "string",
                    "description": "The voice name."
                  }
                }
              },
              {
                "type": "null"
              }
            ]
          },
          "instructions": {
            "type": [
              "string",
              "null"
            ],
            "description": "Speaking-style instructions for a CustomVoice model; the voice description a VoiceDesign model requires."
          },
          "response_format": {
            "type": [
              "string",
              "null"
            ],
            "enum": [
              "wav",
              "pcm",
              "flac",
              "mp3",
              "opus",
              null
            ],
            "default": "wav",
            "description": "The audio encoding (case-insensitive): wav, pcm (headerless 16-bit little-endian mono), flac, mp3 or opus (Ogg); a format whose codec library the server lacks is a 400."
          },
          "speed": {
            "type": [
              "number",
              "null"
            ],
            "enum": [
              1,
              null
            ],
            "default": 1,
            "description": "Accepted for OpenAI compatibility, but only 1.0: the model speaks at its natural pace, and any other value is a 400."
          },
          "stream_format": {
            "type": [
              "string",
              "null"
            ],
            "enum": [
              "audio",
              "sse",
              null
            ],
            "default": "audio",
            "description": "audio (case-insensitive): the encoded audio as a chunked body; sse: server-sent events carrying base64 chunks."
          },
          "task_type": {
            "type": [
              "string",
              "null"
            ],
            "description": "CustomVoice, VoiceDesign or Base (case-insensitive; underscores ignored; VoiceClone and Clone mean Base); must match the loaded checkpoint, else a 400."
          },
          "language": {
            "type": [
              "string",
              "null"
            ],
            "description": "The language of `input`: auto (the default) or a language the checkpoint knows, such as English or Chinese (case-insensitive); another is a 400."
          },
          "ref_audio": {
            "type": [
              "string",
              "null"
            ],
            "description": "Reference audio to clone for this request only (Base models): base64 or a data:audio/...;base64,... URL, 1 to 60 s, at most the upload limit (20 MiB by default) once decoded; URLs are not fetched."
          },
          "ref_text": {
            "type": [
              "string",
              "null"
            ],
            "description": "The transcript of `ref_audio`, required for in-context cloning unless x_vector_only_mode is true."
          },
          "x_vector_only_mode": {
            "type": [
              "boolean",
              "null"
            ],
            "description": "Clone `ref_audio` from its speaker embedding only, without a transcript.",
            "default": false
          },
          "seed": {
            "type": [
              "integer",
              "null"
            ],
            "description": "The random seed of the sampler (0 by default).",
            "minimum": 0,
            "maximum": 8999999999999999
          },
          "temperature": {
            "type": [
              "number",
              "null"
            ],
            "description": "The sampling temperature of the talker; 0 means greedy decoding.",
            "minimum": 0
          },
          "top_k": {
            "type": [
              "integer",
              "null"
            ],
            "description": "Top-k sampling of the talker; 0 turns it off.",
            "minimum": 0,
            "maximum": 8999999999999999
          },
          "top_p": {
            "type": [
              "number",
              "null"
            ],
            "description": "Nucleus sampling of the talker, in (0, 1].",
            "exclusiveMinimum": 0,
            "maximum": 1
          },
          "repetition_penalty": {
            "type": [
              "number",
              "null"
            ],
            "description": "The repetition penalty of the talker (1 means none).",
            "exclusiveMinimum": 0
          },
          "max_new_tokens": {
            "type": [
              "integer",
              "null"
            ],
            "description": "The most codec frames to generate plus one (as the official max_new_tokens).",
            "minimum": 1,
            "maximum": 8999999999999999
          }
        },
        "example": {
          "model": "tts-1",
          "input": "Hello! This is Qwen3-TTS.",
          "voice": "Vivian",
          "response_format": "wav"
        }
      },
      "Error": {
        "type": "object",
        "description": "An OpenAI-style error.",
        "required": [
          "error"
        ],
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "message",
              "type",
              "param",
              "code"
            ],
            "properties": {
              "message": {
                "type": "string",
                "description": "What went wrong, for a person."
              },
              "type": {
                "type": "string",
                "description": "invalid_request_error, authentication_error, not_found_error, rate_limit_error or server_error."
              },
              "param": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "The request field at fault, or null."
              },
              "code": {
                "type": [
                  "string",
                  "null"
                ],
                "description": "A machine-readable code (invalid_value, missing_field, invalid_type, invalid_json, input_too_long, unsupported_format, unknown_voice, voice_exists, body_too_large, queue_full, shutting_down, database_unavailable, invalid_api_key, not_found, ...), or null."
              }
            }
          }
        },
        "example": {
          "error": {
            "message": "'input' is required",
            "type": "invalid_request_error",
            "param": "input",
            "code": "missing_field"
          }
        }
      },
      "Model": {
        "type": "object",
        "required": [
          "id",
          "object",
          "created",
          "owned_by",
          "task_type"
        ],
        "properties": {
          "id": {
            "type": "string",
            "description": "The model id (the serve command's --model argument by default)."
          },
          "object": {
            "type": "string",
            "const": "model"
          },
          "created": {
            "type": "integer",
            "description": "When the server started, in Unix seconds."
          },
          "owned_by": {
            "type": "string",
            "description": "Always qwen3-tts."
          },
          "task_type": {
            "type": "string",
            "enum": [
              "Base",
              "CustomVoice",
              "VoiceDesign"
            ],
            "description": "The kind of checkpoint loaded."
          }
        }
      },
      "ModelList": {
        "type": "object",
        "required": [
          "object",
          "data"
        ],
        "properties": {
          "object": {
            "type": "string",
            "const": "list"
          },
          "data": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Model"
            },
            "description": "The one loaded model."
          }
        }
      },
      "Voice": {
        "type": "object",
        "required": [
          "name",
          "consent",
          "created_at",
          "mode",
          "model",
          "ref_text"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "consent": {
            "type": "string",
            "description": "What the uploader declared about the speaker's consent, verbatim."
          },
          "created_at": {
            "type": "integer",
            "description": "Upload time, in Unix seconds."
          },
          "mode": {
            "type": "string",
            "enum": [
              "icl",
              "x_vector"
            ],
            "description": "icl: in-context cloning with the transcript; x_vector: the speaker embedding only (no transcript given)."
          },
          "model": {
            "type": "string",
            "description": "The model geometry the voice was made for; it is usable only with checkpoints of that geometry."
          },
          "ref_text": {
            "type": [
              "string",
              "null"
            ],
            "description": "The transcript of the sample, or null."
          }
        }
      },
      "VoiceList": {
        "type": "object",
        "required": [
          "voices",
          "uploaded_voices"
        ],
        "properties": {
          "voices": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "Every name `voice` accepts: the model's built-in speakers, then the uploaded voices."
          },
          "uploaded_voices": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Voice"
            },
            "description": "The uploaded voices, oldest first."
          }
        }
      },
      "VoiceUploadResponse": {
        "type": "object",
        "required": [
          "success",
          "voice"
        ],
        "properties": {
          "success": {
            "type": "boolean",
            "const": true
          },
          "voice": {
            "allOf": [
              {
                "$ref": "#/components/schemas/Voice"
              },
              {
                "type": "object",
                "required": [
                  "file_size",
                  "mime_type"
                ],
                "properties": {
                  "file_size": {
                    "type": "integer",
                    "description": "The size of the uploaded sample in bytes."
                  },
                  "mime_type": {
                    "type": "string",
                    "description": "The sample part's Content-Type, or application/octet-stream."
                  }
                }
              }
            ]
          }
        }
      },
      "DeleteResponse": {
        "type": "object",
        "required": [
          "success",
          "message"
        ],
        "properties": {
          "success": {
            "type": "boolean"
          },
          "message": {
            "type": "string"
          }
        }
      },
      "Health": {
        "type": "object",
        "required": [
          "status"
        ],
        "properties": {
          "status": {
            "type": "string",
            "description": "Always ok while the process serves requests."
          }
        }
      },
      "Ready": {
        "type": "object",
        "required": [
          "ready",
          "checks"
        ],
        "properties": {
          "ready": {
            "type": "boolean",
            "description": "True once the warm-up has run every generation path of the checkpoint."
          },
          "checks": {
            "type": "object",
            "additionalProperties": {
              "type": "string"
            },
            "description": "Each warmed-up path (custom_voice, voice_design, clone_x_vector, clone_icl, format_<name>) with ok, failed: ... or unavailable: ...; empty until the warm-up ends."
          }
        }
      }
    },
    "responses": {
      "BadRequest": {
        "description": "The request is invalid: a missing, mistyped or out-of-range field (`param` names it).",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/X-Request-Id"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "The server was started with an API key (--api-key or QWEN3TTS_API_KEY) and the request has no `Authorization: Bearer <key>` header, or a wrong key.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/X-Request-Id"
          },
          "WWW-Authenticate": {
            "description": "Bearer",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "NotFound": {
        "description": "Not found.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/X-Request-Id"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "ContentTooLarge": {
        "description": "The body (or decoded audio) is over the server's limit.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/X-Request-Id"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Conflict": {
        "description": "The name is taken.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/X-Request-Id"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "UnsupportedMediaType": {
        "description": "The body is not multipart/form-data with a boundary.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/X-Request-Id"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TooManyRequests": {
        "description": "Every generation slot and queue place is taken (queue_full); retry after the Retry-After seconds.",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/X-Request-Id"
          },
          "Retry-After": {
            "description": "Seconds to wait (1).",
            "required": true,
            "schema": {
              "type": "integer"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "InternalError": {
        "description": "The server failed (server_error).",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/X-Request-Id"
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "ServiceUnavailable": {
        "description": "The voice database is unavailable (database_unavailable), or the server is shutting down (shutting_down, with Retry-After).",
        "headers": {
          "X-Request-Id": {
            "$ref": "#/components/headers/X-Request-Id"
          },
          "Retry-After": {
            "description": "Seconds to wait (5), sent when the server is shutting down.",
            "required": false,
            "schema": {
              "type": "integer"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      }
    },
    "headers": {
      "X-Request-Id": {
        "description": "The id the server logged this request under.",
        "schema": {
          "type": "string"
        }
      }
    },
    "securitySchemes": {
      "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "The key given to the serve command with --api-key (or QWEN3TTS_API_KEY). Enforced on /v1/* only, and only when a key is set."
      }
    }
  }
}
"""##
}
