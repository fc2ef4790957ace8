import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { beforeAll, describe, expect, it } from "vitest";
import { motoClientConfig } from "../../support/aws.ts";
import { uniqueName } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("moto", "moto-iam"));

describe("moto test servers", () => {
  it("serve AWS's APIs on 127.0.0.1:5010 with any credentials", async () => {
    expect(new URL(services.motoUrl).host).toBe("127.0.0.1:5010");
    const sts = new STSClient(motoClientConfig());
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(identity.Account).toBe("123456789012");
    const name = uniqueName("moto-service");
    const sqs = new SQSClient(motoClientConfig());
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    expect(created.QueueUrl).toBe(`${services.motoUrl}/123456789012/${name}`);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: created.QueueUrl }));
    sqs.destroy();
  });

  it("run the IAM-checking copy on 127.0.0.1:5011 (its AWS calls belong to its own test)", async () => {
    expect(new URL(services.motoIamUrl).host).toBe("127.0.0.1:5011");
    const response = await fetch(`${services.motoIamUrl}/moto-api/data.json`);
    expect(response.status).toBe(200);
  });
});
