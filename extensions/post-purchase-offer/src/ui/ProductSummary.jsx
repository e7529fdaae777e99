/** @jsxRuntime classic */
/** @jsx h */
import {BlockStack, Heading, InlineStack, Text, TextBlock, VisuallyHidden} from '@shopify/post-purchase-ui-extensions';
import {pricesOf} from '../offer.js';
import {h} from './remote-render.js';

/** One offered product: what it is, its original and offer price, and what the buyer saves. */
export function ProductSummary({product, t, money}) {
  const prices = pricesOf(product);
  const format = (amount) => money(amount, prices.currencyCode);
  const discounted = prices.originalPrice != null && Number(prices.originalPrice) > Number(prices.offerPrice);
  return (
    <BlockStack spacing="xtight">
      <Heading level={2}>{product.title}</Heading>
      {product.variantTitle ? <TextBlock subdued>{product.variantTitle}</TextBlock> : null}
      {(product.quantity ?? 1) > 1 ? <TextBlock subdued>{t('quantity', {quantity: product.quantity})}</TextBlock> : null}
      <InlineStack spacing="tight" alignment="baseline">
        {discounted ? <VisuallyHidden>{t('originalPrice')}</VisuallyHidden> : null}
        {discounted ? (
          <Text role="deletion" subdued>
            {format(prices.originalPrice)}
          </Text>
        ) : null}
        <VisuallyHidden>{t('offerPrice')}</VisuallyHidden>
        <Text emphasized size="large">
          {format(prices.offerPrice)}
        </Text>
        {prices.savingsPercent > 0 ? (
          <Text appearance="success" emphasized>
            {t('percentOff', {percent: prices.savingsPercent})}
          </Text>
        ) : null}
      </InlineStack>
      {discounted && Number(prices.savings) > 0 ? (
        <TextBlock appearance="success">{t('savings', {amount: format(prices.savings)})}</TextBlock>
      ) : null}
    </BlockStack>
  );
}
