// {{name}}: answers GET /hello through API Gateway.
'use strict';

exports.handler = async (event) => {
  const params = event.queryStringParameters || {};
  const name = params.name || 'world';
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ message: `hello ${name}` }),
  };
};
