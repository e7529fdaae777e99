/** @jsxRuntime classic */
/** @jsx h */
import {
  Banner,
  BlockStack,
  Button,
  BuyerConsent,
  CalloutBanner,
  Image,
  Layout,
  Spinner,
  TextContainer,
  TextBlock,
  View,
} from '@shopify/post-purchase-ui-extensions';
import {amountDue} from '../breakdown.js';
import {Outcome} from '../apply-outcome.js';
import {formatMoney} from '../money.js';
import {messagesFor} from '../messages.js';
import {isSubscriptionOffer} from '../offer.js';
import {Phase} from '../offer-flow.js';
import {CostBreakdown} from './CostBreakdown.jsx';
import {ProductSummary} from './ProductSummary.jsx';
import {h} from './remote-render.js';

/** Image beside the details from medium screens up; stacked on small ones. */
const LAYOUT_MEDIA = [
  {viewportSize: 'small', sizes: [1, 0, 1], maxInlineSize: 0.9},
  {viewportSize: 'medium', sizes: [532, 0, 1], maxInlineSize: 420},
  {viewportSize: 'large', sizes: [560, 38, 340]},
];

/**
 * The Render extension point's page for the buyer's locale: a function from the flow's state to
 * the page (the current offer, a notice, or nothing once finished).
 */
export function offerPage({flow, locale}) {
  const t = messagesFor(locale);
  const money = (amount, currencyCode) => formatMoney(amount, currencyCode, locale);
  return (state) => <OfferPage flow={flow} state={state} t={t} money={money} />;
}

function OfferPage({flow, state, t, money}) {
  if (!state || state.phase === Phase.FINISHED) return null;
  if (state.phase === Phase.NOTICE) return <Notice notice={state.notice} onContinue={flow.finish} t={t} />;
  // Shopify's price for the offer is being checked: nothing to show the buyer yet.
  if (state.phase === Phase.CHECKING) return <Spinner size="large">{t('checking')}</Spinner>;
  return <Offer flow={flow} state={state} t={t} money={money} />;
}

function Offer({flow, state, t, money}) {
  const {offer, calculatedPurchase, phase} = state;
  const copy = offer.copy ?? {};
  const due = amountDue(calculatedPurchase);
  const busy = phase !== Phase.OFFER;
  const image = offer.products.find((product) => product.imageUrl);
  return (
    <BlockStack spacing="loose">
      <CalloutBanner title={copy.headline || t('offerHeading')}>
        {copy.body ? <TextContainer>{copy.body}</TextContainer> : null}
      </CalloutBanner>
      <Layout media={LAYOUT_MEDIA}>
        {image ? <Image source={image.imageUrl} description={image.title} /> : <View />}
        <View />
        <BlockStack spacing="loose">
          {offer.products.map((product) => (
            <ProductSummary product={product} t={t} money={money} />
          ))}
          <CostBreakdown calculatedPurchase={calculatedPurchase} t={t} money={money} />
          {isSubscriptionOffer(offer) ? (
            <BuyerConsent
              policy="subscriptions"
              checked={state.buyerConsent}
              onChange={flow.setBuyerConsent}
              error={state.consentMissing ? t('consentRequired') : undefined}
            />
          ) : null}
          <BlockStack spacing="tight">
            <Button
              submit
              onPress={flow.accept}
              disabled={busy}
              loading={phase === Phase.ACCEPTING}
              loadingLabel={t('accepting')}
            >
              {t('acceptWithPrice', {label: copy.acceptLabel || t('accept'), price: money(due.amount, due.currencyCode)})}
            </Button>
            <Button
              subdued
              onPress={flow.decline}
              disabled={busy}
              loading={phase === Phase.DECLINING}
              loadingLabel={t('declining')}
            >
              {copy.declineLabel || t('decline')}
            </Button>
          </BlockStack>
        </BlockStack>
      </Layout>
    </BlockStack>
  );
}

function Notice({notice, onContinue, t}) {
  const payment = notice === Outcome.PAYMENT_NOT_POSSIBLE;
  return (
    <BlockStack spacing="loose">
      <Banner status="warning" title={payment ? t('paymentNotPossibleTitle') : t('notAddedTitle')}>
        <TextBlock>{payment ? t('paymentNotPossible') : t('notAdded')}</TextBlock>
      </Banner>
      <Button onPress={onContinue}>{t('continue')}</Button>
    </BlockStack>
  );
}
