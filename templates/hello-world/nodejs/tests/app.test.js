// Runs the handler on events/event.json: node --test tests/
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const fs = require('node:fs');
const app = require(path.join(__dirname, '..', 'hello-world', 'app.js'));

test('answers the sample event', async () => {
  const event = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'events', 'event.json'), 'utf8'));
  const response = await app.handler(event, {});
  assert.strictEqual(response.statusCode, 200);
  assert.deepStrictEqual(JSON.parse(response.body), { message: 'hello world' });
});

test('greets by name', async () => {
  const response = await app.handler({ queryStringParameters: { name: 'lamb' } }, {});
  assert.strictEqual(JSON.parse(response.body).message, 'hello lamb');
});
