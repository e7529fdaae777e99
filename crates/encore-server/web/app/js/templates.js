// Campaign templates for the seed's use cases. Each is a valid campaign of configuration
// version 1 (docs/campaigns.md); the ids are placeholders a merchant replaces with their own
// products, and the catalog warnings say which ones their store does not have.

export const TEMPLATES = [
  {
    key: 'phone',
    campaign: {
      id: 'phone-case',
      name: 'Phone → case',
      status: 'draft',
      priority: 10,
      triggers: {productTypes: ['Phone']},
      steps: [
        {id: 'upsell', onDecline: 'downsell', offer: {products: ['2101'], discount: {percent: 20}, copy: {en: {headline: 'Protect your new phone'}, fr: {headline: 'Protégez votre nouveau téléphone'}}}},
        {id: 'downsell', offer: {products: ['2201'], discount: {fixedPrice: '9.00'}}},
      ],
    },
  },
  {
    key: 'coffee',
    campaign: {
      id: 'coffee-refill',
      name: 'Coffee → refill',
      status: 'draft',
      priority: 0,
      triggers: {tags: ['coffee']},
      steps: [{id: 'refill', offer: {products: ['2103'], quantity: 2, refill: true, discount: {percent: 10}}}],
    },
  },
  {
    key: 'dog',
    campaign: {
      id: 'dog-subscribe',
      name: 'Dog food → subscribe and save',
      status: 'draft',
      priority: 0,
      triggers: {tags: ['dog']},
      guardrails: {maxShareOfPurchasePercent: 100},
      steps: [{id: 'subscribe', offer: {products: ['2004'], refill: true, subscription: {shippingTitle: 'Free delivery'}, discount: {percent: 15, title: 'Subscribe & save 15%'}}}],
    },
  },
  {
    key: 'cookbook',
    campaign: {
      id: 'cookbook-planner',
      name: 'Cookbook → meal planner',
      status: 'draft',
      priority: 0,
      triggers: {productTypes: ['Book']},
      steps: [{id: 'upsell', offer: {products: ['2105'], discount: {fixedPrice: '7.00'}, copy: {en: {headline: 'Plan every meal'}, fr: {headline: 'Planifiez chaque repas'}}}}],
    },
  },
  {
    key: 'skincare',
    campaign: {
      id: 'skincare-serum',
      name: 'Skincare → serum sample',
      status: 'draft',
      priority: 0,
      triggers: {tags: ['skincare']},
      steps: [{id: 'sample', offer: {products: ['2106'], discount: {fixedPrice: '5.00'}}}],
    },
  },
];
