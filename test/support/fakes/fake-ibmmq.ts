/**
 * fake-ibmmq: a loopback fake of the IBM MQ REST admin API's MQSC endpoint as documented
 * (`POST /ibmmq/rest/v{1,2,3}/admin/action/qmgr/{qmgr}/mqsc` with a `runCommandJSON` body): HTTP
 * Basic authentication, the `ibm-mq-rest-csrf-token` header every POST needs, `DISPLAY QLOCAL`
 * answered with the `commandResponse` array (lower-case parameter names, `curdepth`), a missing
 * queue as completion code 2 and reason 2085 (AMQ8147E) inside a 200 answer, and an unknown queue
 * manager as HTTP 404 with an `error` array (MQWB0009E).
 */
import type { ServerResponse } from "node:http";
import { basicCredentials, LoopbackFake, type LoopbackRequest, sendJson } from "./loopback.ts";

const MQSC_PATH = /^\/ibmmq\/rest\/v[123]\/admin\/action\/qmgr\/([^/]+)\/mqsc$/;

function restError(msgId: string, message: string, reasonCode: number, explanation: string, action: string) {
  return {
    error: [
      {
        msgId,
        action,
        completionCode: 2,
        reasonCode,
        type: "rest",
        message: `${msgId}: ${message}`,
        explanation,
      },
    ],
  };
}

export class FakeIbmMq extends LoopbackFake {
  /** Queue manager → queue → current depth. */
  readonly queueManagers = new Map<string, Map<string, number>>();
  readonly users = new Map<string, string>();
  static start(options: { tls?: boolean } = {}): Promise<FakeIbmMq> {
    return new FakeIbmMq().listen(options);
  }

  /** The MQSC endpoint of a queue manager, as a trigger's `host`. */
  mqscUrl(queueManager: string): string {
    return `${this.url}/ibmmq/rest/v2/admin/action/qmgr/${queueManager}/mqsc`;
  }

  setDepth(queueManager: string, queue: string, depth: number): void {
    let queues = this.queueManagers.get(queueManager);
    if (!queues) {
      queues = new Map();
      this.queueManagers.set(queueManager, queues);
    }
    queues.set(queue, depth);
  }

  handle(request: LoopbackRequest, response: ServerResponse): void {
    const match = MQSC_PATH.exec(request.path);
    if (!match) {
      sendJson(
        response,
        404,
        restError(
          "MQWB0004E",
          `The URL '${decodeURIComponent(request.path)}' is not valid.`,
          0,
          "The REST API resource does not exist.",
          "Correct the URL.",
        ),
      );
      return;
    }
    const credentials = basicCredentials(request.headers);
    if (!credentials || this.users.get(credentials.username) !== credentials.password) {
      sendJson(
        response,
        401,
        restError(
          "MQWB0112E",
          "The user could not be authenticated.",
          2035,
          "The credentials supplied with the request are not valid.",
          "Supply a valid user ID and password.",
        ),
        { "WWW-Authenticate": 'Basic realm="IBM MQ REST"' },
      );
      return;
    }
    if (request.method !== "POST") {
      sendJson(
        response,
        405,
        restError("MQWB0007E", `The HTTP method '${request.method}' is not supported.`, 0, "", "Use POST."),
      );
      return;
    }
    if (request.headers["ibm-mq-rest-csrf-token"] === undefined) {
      sendJson(
        response,
        403,
        restError(
          "MQWB0115E",
          "The ibm-mq-rest-csrf-token HTTP header is missing.",
          0,
          "POST, PATCH and DELETE requests need the ibm-mq-rest-csrf-token header.",
          "Send the header with any value.",
        ),
      );
      return;
    }
    const queueManager = decodeURIComponent(match[1] ?? "");
    const queues = this.queueManagers.get(queueManager);
    if (!queues) {
      sendJson(
        response,
        404,
        restError(
          "MQWB0009E",
          `Could not query the queue manager '${queueManager}'.`,
          2058,
          "The REST API was invoked specifying a queue manager name which cannot be located.",
          "Resubmit the request with a valid queue manager name.",
        ),
      );
      return;
    }
    let command: { type?: unknown; command?: unknown; qualifier?: unknown; name?: unknown };
    try {
      command = JSON.parse(request.body) as typeof command;
    } catch {
      sendJson(
        response,
        400,
        restError("MQWB0103E", "The request body is not valid JSON.", 0, "", "Correct the request body."),
      );
      return;
    }
    if (
      command.type !== "runCommandJSON" ||
      String(command.command).toLowerCase() !== "display" ||
      String(command.qualifier).toLowerCase() !== "qlocal"
    ) {
      sendJson(
        response,
        400,
        restError(
          "MQWB0103E",
          "The request body is not a supported command.",
          0,
          "",
          "Correct the request body.",
        ),
      );
      return;
    }
    const name = String(command.name);
    const depth = queues.get(name);
    if (depth === undefined) {
      sendJson(response, 200, {
        commandResponse: [
          { completionCode: 2, reasonCode: 2085, message: [`AMQ8147E: IBM MQ object ${name} not found.`] },
        ],
        overallReasonCode: 3008,
        overallCompletionCode: 2,
      });
      return;
    }
    sendJson(response, 200, {
      commandResponse: [
        { completionCode: 0, reasonCode: 0, parameters: { curdepth: depth, type: "QLOCAL", queue: name } },
      ],
      overallReasonCode: 0,
      overallCompletionCode: 0,
    });
  }
}
