// A Node.js hello-world handler, an ES module (app.mjs) answering API Gateway events.
export const lambdaHandler = async (event, context) => {
  const greeting = process.env.GREETING ?? 'hello';
  console.log(`handling ${event.httpMethod ?? 'an event'} ${event.path ?? ''}`);
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ message: `${greeting} world`, requestId: context.awsRequestId }),
  };
};
