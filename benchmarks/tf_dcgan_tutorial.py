"""The TensorFlow DCGAN tutorial's models and ``train_step`` (seed 004's
baseline; tensorflow.org/tutorials/generative/dcgan), verbatim but for the
batch size and LeakyReLU's slope, which are arguments.

Shared by ``dcgan_peers.py`` (times the step beside ganjax's) and
``fidelity.py`` (trains it beside ``configs/mnist_dcgan.py``). TensorFlow is
imported by the caller, so importing this module costs nothing.
"""

LATENT = 100


def models(tf, slope=None):
  """``(make_generator_model(), make_discriminator_model())``.

  ``slope``: LeakyReLU's negative slope; None keeps the installed Keras'
  default (0.2 in Keras 3; the tutorial ran Keras 2, whose default is 0.3).
  """
  layers = tf.keras.layers
  leaky = (layers.LeakyReLU if slope is None else
           lambda: layers.LeakyReLU(negative_slope=slope))

  def make_generator_model():
    model = tf.keras.Sequential()
    model.add(layers.Input((LATENT,)))
    model.add(layers.Dense(7 * 7 * 256, use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(leaky())
    model.add(layers.Reshape((7, 7, 256)))
    model.add(layers.Conv2DTranspose(128, (5, 5), strides=(1, 1),
                                     padding='same', use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(leaky())
    model.add(layers.Conv2DTranspose(64, (5, 5), strides=(2, 2),
                                     padding='same', use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(leaky())
    model.add(layers.Conv2DTranspose(1, (5, 5), strides=(2, 2),
                                     padding='same', use_bias=False,
                                     activation='tanh'))
    return model

  def make_discriminator_model():
    model = tf.keras.Sequential()
    model.add(layers.Input((28, 28, 1)))
    model.add(layers.Conv2D(64, (5, 5), strides=(2, 2), padding='same'))
    model.add(leaky())
    model.add(layers.Dropout(0.3))
    model.add(layers.Conv2D(128, (5, 5), strides=(2, 2), padding='same'))
    model.add(leaky())
    model.add(layers.Dropout(0.3))
    model.add(layers.Flatten())
    model.add(layers.Dense(1))
    return model

  return make_generator_model(), make_discriminator_model()


def make_train_step(tf, generator, discriminator, batch_size):
  """The tutorial's ``train_step(images) -> (gen_loss, disc_loss)``: one
  forward pass, both gradients from it (simultaneous updates), Adam 1e-4."""
  cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)

  def discriminator_loss(real_output, fake_output):
    real_loss = cross_entropy(tf.ones_like(real_output), real_output)
    fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
    total_loss = real_loss + fake_loss
    return total_loss

  def generator_loss(fake_output):
    return cross_entropy(tf.ones_like(fake_output), fake_output)

  generator_optimizer = tf.keras.optimizers.Adam(1e-4)
  discriminator_optimizer = tf.keras.optimizers.Adam(1e-4)

  @tf.function
  def train_step(images):
    noise = tf.random.normal([batch_size, LATENT])

    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
      generated_images = generator(noise, training=True)

      real_output = discriminator(images, training=True)
      fake_output = discriminator(generated_images, training=True)

      gen_loss = generator_loss(fake_output)
      disc_loss = discriminator_loss(real_output, fake_output)

    gradients_of_generator = gen_tape.gradient(
        gen_loss, generator.trainable_variables)
    gradients_of_discriminator = disc_tape.gradient(
        disc_loss, discriminator.trainable_variables)

    generator_optimizer.apply_gradients(
        zip(gradients_of_generator, generator.trainable_variables))
    discriminator_optimizer.apply_gradients(
        zip(gradients_of_discriminator, discriminator.trainable_variables))
    return gen_loss, disc_loss

  return train_step
