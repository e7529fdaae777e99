// The small renderer that replaced React: descriptions in, RemoteRoot calls out, as a host sees
// them through a remote-ui receiver.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createRemoteReceiver, createRemoteRoot} from '@remote-ui/core';
import {h, renderer} from '../src/ui/remote-render.js';

function setUp() {
  const receiver = createRemoteReceiver();
  const root = createRemoteRoot(receiver.receive);
  const render = renderer(root);
  root.mount();
  return {render, host: receiver.attached.root};
}

const shape = (node) =>
  typeof node.text === 'string' ? node.text : {type: node.type, props: {...node.props}, children: node.children.map(shape)};

test('h: components are called, null/false children dropped, numbers become text, lists flattened', () => {
  const Item = ({label, children}) => h('Text', {label}, children);
  const element = h('BlockStack', null, null, false, h(Item, {label: 'a'}, 1), [h('View'), ['x']]);
  assert.deepEqual(element, {
    type: 'BlockStack',
    props: {},
    children: [{type: 'Text', props: {label: 'a'}, children: ['1']}, {type: 'View', props: {}, children: []}, 'x'],
  });
});

test('renders, then updates in place: props, text, added and removed children', () => {
  const {render, host} = setUp();
  render(h('BlockStack', {spacing: 'loose'}, h('Button', {disabled: false}, 'Pay €1'), h('Text', null, 'a')));
  const [stack] = host.children;
  const [button, text] = stack.children;
  assert.deepEqual(shape(stack), {
    type: 'BlockStack',
    props: {spacing: 'loose'},
    children: [
      {type: 'Button', props: {disabled: false}, children: ['Pay €1']},
      {type: 'Text', props: {}, children: ['a']},
    ],
  });

  render(h('BlockStack', {spacing: 'loose'}, h('Button', {disabled: true, loading: true}, 'Pay €2'), h('Text', null, 'a'), 'tail'));
  assert.equal(host.children[0], stack);
  assert.equal(stack.children[0], button);
  assert.equal(stack.children[1], text);
  assert.deepEqual(shape(button), {type: 'Button', props: {disabled: true, loading: true}, children: ['Pay €2']});
  assert.equal(stack.children[2].text, 'tail');

  render(h('BlockStack', {}, h('Button', {disabled: true}, 'Pay €2')));
  assert.equal(stack.children.length, 1);
  assert.equal(stack.props.spacing, undefined);
  assert.equal(button.props.loading, undefined);
});

test('a different component in the same place replaces the old one there; null empties the page', () => {
  const {render, host} = setUp();
  render([h('TextBlock', null, 'pending'), h('Button', null, 'Pay')]);
  const button = host.children[1];
  render([h('BlockStack', null, h('Separator')), h('Button', null, 'Pay')]);
  assert.deepEqual(host.children.map((node) => node.type), ['BlockStack', 'Button']);
  assert.equal(host.children[1], button);
  render(null);
  assert.equal(host.children.length, 0);
});
