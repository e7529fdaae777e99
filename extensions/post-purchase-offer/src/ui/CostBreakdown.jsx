/** @jsxRuntime classic */
/** @jsx h */
import {BlockStack, Separator, TextBlock, TextContainer, Tiles} from '@shopify/post-purchase-ui-extensions';
import {costBreakdown} from '../breakdown.js';
import {h} from './remote-render.js';

/** Subtotal, shipping, taxes and total as Shopify calculated them for this offer. */
export function CostBreakdown({calculatedPurchase, t, money}) {
  const cost = costBreakdown(calculatedPurchase);
  const format = (amount) => money(amount, cost.currencyCode);
  return (
    <BlockStack spacing="tight">
      <Separator />
      <CostLine label={t('subtotal')} value={format(cost.subtotal)} />
      <CostLine label={t('shipping')} value={Number(cost.shipping) === 0 ? t('freeShipping') : format(cost.shipping)} />
      <CostLine label={t('taxes')} value={format(cost.taxes)} />
      <Separator />
      <CostLine label={t('total')} value={format(cost.total)} emphasized />
    </BlockStack>
  );
}

function CostLine({label, value, emphasized = false}) {
  return (
    <Tiles>
      <TextBlock emphasized={emphasized}>{label}</TextBlock>
      <TextContainer alignment="trailing">
        <TextBlock emphasized={emphasized}>{value}</TextBlock>
      </TextContainer>
    </Tiles>
  );
}
